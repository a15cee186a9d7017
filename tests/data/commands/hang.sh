#!/bin/sh
# A command that never finishes (a kubectl waiting on an API server that does not answer).
# Its child (sleep) must die with it when the deadline kills the command: with HANG_PID_FILE
# set, the child's process id is written there for the test to check.
echo "connecting to the API server..." >&2
sleep 120 &
if [ -n "$HANG_PID_FILE" ]; then echo $! > "$HANG_PID_FILE"; fi
wait
echo '{"flags": {}}'
