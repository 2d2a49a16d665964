# xl migrate to the same host twice while the daemon runs: see move.sh.
MOVE=migrate
. ./move.sh
