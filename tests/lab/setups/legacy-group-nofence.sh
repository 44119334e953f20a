# Seed 000 exactly as published, fencing included: stonith-enabled=false and
# no-quorum-policy=ignore ("for the basic setup disable the following properties"), then
# ocf:heartbeat:IPaddr2 + the LSB init script /etc/init.d/maxscale in a group. The lab's
# fence device stays configured but unused. Compare with legacy-group (the same, fencing on).
# lab-needs: heartbeat:IPaddr2
crm configure property stonith-enabled=false
crm configure property no-quorum-policy=ignore
crm configure rsc_defaults resource-stickiness=100
crm configure primitive maxscale_vip ocf:heartbeat:IPaddr2 \
    params ip=10.200.0.100 cidr_netmask=24 nic=eth0 \
    op monitor interval=2s
crm configure primitive MaxScale lsb:maxscale \
    op monitor interval=2s timeout=15s \
    op start interval=0 timeout=15s \
    op stop interval=0 timeout=30s
crm configure group maxscale_service maxscale_vip MaxScale
