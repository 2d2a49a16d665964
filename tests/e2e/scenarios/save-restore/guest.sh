# xl save + xl restore twice while the daemon runs: see move.sh.
MOVE=save-restore
. ./move.sh
