// Park READYFILE: Java threads parked in known places, and one running
// JIT-compiled code.  READYFILE gets "PID" once all are in place.
import java.nio.file.Files;
import java.nio.file.Path;

public class Park {
	static final Object lock = new Object();
	static volatile double sink;

	static void spin() {
		for (;;)
			for (int i = 0; i < 1000000; i++)
				sink += Math.sqrt(i);
	}

	static Thread daemon(Runnable r, String name) {
		Thread t = new Thread(r, name);
		t.setDaemon(true);
		t.start();
		return t;
	}

	public static void main(String[] args) throws Exception {
		for (int i = 0; i < 4; i++)
			daemon(() -> {
				try {
					Thread.sleep(1000000000L);
				} catch (InterruptedException e) {
				}
			}, "sleeper-" + i);
		daemon(() -> {
			synchronized (lock) {
				try {
					lock.wait();
				} catch (InterruptedException e) {
				}
			}
		}, "waiter");
		daemon(Park::spin, "spinner");
		Thread.sleep(500);
		Files.writeString(Path.of(args[0]), ProcessHandle.current().pid() + "\n");
		Thread.sleep(1000000000L);
	}
}
