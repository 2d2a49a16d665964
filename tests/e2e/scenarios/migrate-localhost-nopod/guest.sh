# migrate-localhost in a PVH guest without populate-on-demand: memory =
# maxmem, so libxl builds it with every page (PoD is for memory < maxmem in
# non-PV guests); the daemon balloons it down from 768 MiB. See move.sh.
MOVE=migrate
. ./move.sh
