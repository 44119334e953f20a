# Seed 000 as published (for tests/bench/outage.sh): ocf:heartbeat:IPaddr2 + the LSB init
# script /etc/init.d/maxscale in a group (monitor intervals as ours: 2 s).
# lab-needs: heartbeat:IPaddr2
crm configure rsc_defaults resource-stickiness=100
crm configure primitive maxscale_vip ocf:heartbeat:IPaddr2 \
    params ip=10.200.0.100 cidr_netmask=24 nic=eth0 \
    op monitor interval=2s
crm configure primitive MaxScale lsb:maxscale \
    op monitor interval=2s timeout=15s \
    op start interval=0 timeout=15s \
    op stop interval=0 timeout=30s
crm configure group maxscale_service maxscale_vip MaxScale
