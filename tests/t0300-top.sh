#!/bin/bash
# t0300-top: the live view, driven in tmux like a person would, and its
# --batch output.
. "$(dirname "$0")/lib.sh"

S=inspect-test-$$
trap 'tmux kill-session -t $S 2>/dev/null; cleanup' EXIT

test_expect_success '--batch --iterations 2: two screens with header, counts and groups' '
	start_fixture states || return 1
	"$INSPECT" top --batch --iterations 2 -d 0.3 $FIXTURE_PID >out &&
	test "$(grep -c "^inspect top - states (PID $FIXTURE_PID)" out)" = 2 &&
	expect_grep "^threads 15 " out &&
	expect_grep "^ +3 +[0-9.]+ +>=[0-9]+m?s +condition wait .*pool_worker +pool-1, pool-2, pool-3$" out &&
	expect_grep "^ +2 .* mutex lock .*mutex_waiter" out &&
	expect_grep "^ +1 +[0-9.]+ +- +running +spinner" out
'

test_expect_success '--batch: the spinning thread burns about one CPU' '
	"$INSPECT" top --batch --iterations 2 -d 0.5 --threads $FIXTURE_PID >out &&
	grep -E "spinner +R +([5-9][0-9]|100)\.[0-9]" out || { grep spinner out; false; }
'

test_expect_success 'later stack samples (symbols from the cache) still name the frames' '
	"$INSPECT" top --batch --iterations 4 -d 0.3 --stack-interval 0.3 $FIXTURE_PID >out &&
	awk "/^inspect top/ { n++ } n == 4" out >last &&
	expect_grep "condition wait +pool_worker +pool-1" last &&
	expect_grep "mutex lock +mutex_waiter" last && expect_grep "accept .*acceptor" last
'

test_expect_success 'the header counts match /proc and inspect count (pools of 1 and 500)' '
	states_pid=$FIXTURE_PID
	for n in 1 500; do
		start_fixture pool $n || return 1
		"$INSPECT" top --batch --iterations 1 $FIXTURE_PID >out &&
		"$INSPECT" count --by kind $FIXTURE_PID >cnt || return 1
		total=$(ls /proc/$FIXTURE_PID/task | wc -l)
		test "$total" = $((n + 1)) || { echo "pool $n has $total threads"; return 1; }
		hdr=$(sed -n 2p out)
		case "$hdr" in "threads $total "*) ;; *) echo "header: $hdr, /proc: $total"; return 1 ;; esac
		# every "kind N" of the header is what count says
		set -- $(echo "$hdr" | sed "s/^threads [0-9]* [^ ]*//")
		sum=0
		while [ $# -ge 2 ]; do
			grep -qx "$1 $2" cnt || { echo "header $1 $2, count says:"; cat cnt; return 1; }
			sum=$((sum + $2)); shift 2
		done
		test $sum = $total || { echo "kinds add up to $sum of $total"; return 1; }
		expect_grep "^ +$n +[0-9.]+ .*condition wait +pool_worker" out || return 1
		kill -9 $FIXTURE_PID
	done
	FIXTURE_PID=$states_pid
'

test_expect_success 'not a terminal and no --batch: a clear error (64)' '
	expect_status 64 "$INSPECT" top $FIXTURE_PID </dev/null >out 2>err &&
	expect_grep "must be a terminal.*--batch" err
'

test_expect_success 'interactive at 80x24: header, the groups, the key line' '
	tmux new-session -d -s $S -x 80 -y 24 "$INSPECT top -d 0.5 $FIXTURE_PID; echo EXITED \$?; sleep 30" &&
	wait_screen "condition wait" &&
	screen >s1 && expect_grep "^inspect top - states \(PID $FIXTURE_PID\)" s1 &&
	expect_grep "^threads 15 " s1 && expect_grep "q quit" s1 &&
	test "$(awk "length > 80" s1 | wc -l)" = 0
'

test_expect_success 'Enter opens the stack of the selected group; Esc returns' '
	tmux send-keys -t $S Home Enter && wait_screen "pool_worker" &&
	screen >s2 && expect_grep "^3 threads: condition wait" s2 && expect_grep "pthread_cond_wait" s2 &&
	expect_grep "states.c:" s2 &&
	tmux send-keys -t $S Escape && wait_screen "COUNT +CPU%"
'

test_expect_success 't switches to one row per thread' '
	tmux send-keys -t $S t && wait_screen "TID +NAME" && screen | grep -q "spinner"
'

test_expect_success '/ filters by function' '
	tmux send-keys -t $S t "/" && sleep 0.3 && tmux send-keys -t $S "pipe_reader" Enter &&
	wait_screen "filter: pipe_re" && screen >s3 &&
	expect_grep "read fd" s3 && expect_no_grep "condition wait" s3
'

test_expect_success 'a resize to 100x30 and back to 80x24 keeps the layout' '
	tmux send-keys -t $S Escape && tmux resize-window -t $S -x 100 -y 30 && sleep 1 &&
	screen >s4 && expect_grep "COUNT +CPU%" s4 &&
	tmux resize-window -t $S -x 80 -y 24 && sleep 1 && screen >s5 && expect_grep "q quit" s5
'

test_expect_success '? shows the help; q quits and restores the terminal (exit 0)' '
	tmux send-keys -t $S "?" && wait_screen "inspect top - keys" &&
	tmux send-keys -t $S x && sleep 0.3 && tmux send-keys -t $S q && wait_screen "EXITED 0" &&
	screen | grep -q "EXITED 0" && check_healthy $FIXTURE_PID "R"
'

test_expect_success 'SIGTERM restores the terminal too' '
	tmux kill-session -t $S 2>/dev/null
	cat >run.sh <<-EOS
	"$INSPECT" top -d 0.5 $FIXTURE_PID
	echo EXITED \$?
	if stty -a | grep -qw -- -icanon; then echo RAW; else echo CANON; fi
	sleep 30
	EOS
	tmux new-session -d -s $S -x 80 -y 24 "sh run.sh" &&
	wait_screen "condition wait" &&
	pane=$(tmux display-message -p -t $S "#{pane_pid}") && pkill -TERM -P "$pane" &&
	wait_screen "EXITED" &&
	screen | grep -q "EXITED 143" && screen | grep -q "CANON"
'

test_expect_success 'a target that exits mid-view is reported, the last data kept' '
	tmux kill-session -t $S 2>/dev/null
	tmux new-session -d -s $S -x 80 -y 24 "$INSPECT top -d 0.3 $FIXTURE_PID; echo EXITED \$?; sleep 30" &&
	wait_screen "condition wait" && kill -9 $FIXTURE_PID && wait_screen "process exited" &&
	screen | grep -q "condition wait" && tmux send-keys -t $S q && wait_screen "EXITED 0"
'

# top keeps each thread's stat and syscall files open between refreshes
# (half the cost of opening them again); those of threads that ended are
# closed, and a TID reused by a new thread is read afresh
test_expect_success 'top over thread churn: files of ended threads are closed, counts stay true' '
	start_fixture churn || return 1
	"$INSPECT" top --batch --iterations 40 -d 0.1 --stack-interval 1 $FIXTURE_PID >churn.out 2>&1 &
	tpid=$!
	PIDS="$PIDS $tpid"
	sleep 2.5
	fds=$(ls /proc/$tpid/fd | wc -l) && live=$(ls /proc/$FIXTURE_PID/task | wc -l) &&
	echo "top holds $fds files; the target has $live threads" &&
	test $fds -le $((2 * live + 64)) &&
	wait $tpid && test $(grep -c "^threads [0-9]" churn.out) = 40 &&
	! grep "^threads" churn.out | awk "\$2 > 1000 || \$2 < 2 { bad = 1 } END { exit !bad }" &&
	check_healthy $FIXTURE_PID
'

test_done
