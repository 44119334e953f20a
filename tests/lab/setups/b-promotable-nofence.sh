# b-promotable with fencing off (stonith-enabled=false; no-quorum-policy stays stop): the
# lab's configuration before it had a fence device, for tests/bench/outage.sh's "without
# fencing" column.
# lab-needs: maxscale vip
pcs property set stonith-enabled=false
. "$LAB_SETUPS/b-promotable.sh"
