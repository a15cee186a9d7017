#!/bin/sh
# A command that fails the way kubectl does: a message on stderr, exit status 1.
echo 'Error from server (NotFound): configmaps "agentcore-config" not found' >&2
exit 1
