# Seed 002 as published, without its notify script (for tests/bench/outage.sh): an IPaddr2
# VIP in front of the Galera nodes with no health check of Galera at all (pcs).
# lab-needs: heartbeat:IPaddr2
# lab-probe: 3306
pcs resource defaults update resource-stickiness=100
pcs resource create VirtualIP ocf:heartbeat:IPaddr2 ip=10.200.0.100 cidr_netmask=24 nic=eth0 \
    op monitor interval=5s
