#!/usr/bin/env python3
"""A flag service driven by commands, for tests/unit/flags/tst_commandbackend.cpp.

Keeps every flag's state in the JSON file named by FLAG_STATE_FILE and prints it as JSON:
  flagstate.py set-percentage FLAG PERCENT | enable FLAG | disable FLAG
  flagstate.py set-segment FLAG SEGMENT true|false
  flagstate.py status            -> {"flags": {FLAG: {"enabled": b, "percent": n, "held": [...]}}}
FLAG_STATE_IGNORE_WRITES=1 makes every write succeed without changing anything (a service that
says yes and does nothing: only the read-back can tell). Each argument is taken literally.
"""
import fcntl
import json
import os
import sys


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return {"flags": {}}


def main(argv):
    path = os.environ.get("FLAG_STATE_FILE")
    if not path:
        print("flagstate: FLAG_STATE_FILE is not set", file=sys.stderr)
        return 2
    # Several flags move at once, one process each: one at a time, the file replaced whole.
    lock = open(path + ".lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    state = load(path)
    if not argv:
        print("flagstate: usage: flagstate.py COMMAND ...", file=sys.stderr)
        return 2
    command, args = argv[0], argv[1:]
    if command == "status":
        json.dump(state, sys.stdout)
        print()
        return 0
    if not args:
        print(f"flagstate: {command} needs a flag", file=sys.stderr)
        return 2
    flag = state["flags"].setdefault(args[0], {"enabled": False, "percent": 0, "held": []})
    if command == "set-percentage":
        flag["percent"] = float(args[1])
    elif command == "enable":
        flag["enabled"] = True
    elif command == "disable":
        flag["enabled"] = False
    elif command == "set-segment":
        segment, follow = args[1], args[2] == "true"
        held = [s for s in flag["held"] if s != segment]
        flag["held"] = held if follow else held + [segment]
    else:
        print(f"flagstate: unknown command {command!r}", file=sys.stderr)
        return 2
    if os.environ.get("FLAG_STATE_IGNORE_WRITES") != "1":
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(state, f)
        os.replace(path + ".tmp", path)
    print(f"flagstate: {command} {' '.join(args)}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
