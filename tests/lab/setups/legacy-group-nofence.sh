# Seed 000 exactly as published, fencing included: stonith-enabled=false and
# no-quorum-policy=ignore ("for the basic setup disable the following properties"), then
# ocf:heartbeat:IPaddr2 + the LSB init script /etc/init.d/maxscale in a group. The lab's
# fence device stays configured but unused. Compare with legacy-group (the same, fencing on).
# lab-needs: heartbeat:IPaddr2
crm configure property stonith-enabled=false
crm configure property no-quorum-policy=ignore
. "$LAB_SETUPS/legacy-group.sh"
