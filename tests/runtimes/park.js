// park.js READYFILE: node's main thread runs JIT-compiled JavaScript in a
// loop; libuv's threads wait.  READYFILE gets "PID" once the loop is hot.
const fs = require('fs');
function hot(n) { let s = 0; for (let i = 0; i < n; i++) s += Math.sqrt(i); return s; }
let rounds = 0;
for (;;) {
	hot(1e6);
	if (++rounds === 50)
		fs.writeFileSync(process.argv[2], process.pid + "\n");
}
