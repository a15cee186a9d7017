#!/bin/sh
# A status command that succeeds but prints something that is not the state.
echo 'Traceback (most recent call last): <not JSON at all>'
exit 0
