# Seed 002 exactly as published, fencing included: `pcs property set stonith-enabled=false`
# ("we do NOT have shared data") and no-quorum-policy=ignore ("quorum and fencing is done also
# by Galera"), an ocf:heartbeat:IPaddr2 VIP, no health check. Scenario g shows what this does
# when the VIP's node loses the cluster ring but not its clients: two holders.
# lab-needs: heartbeat:IPaddr2
# lab-probe: 3306
pcs property set stonith-enabled=false
pcs property set no-quorum-policy=ignore
pcs resource defaults update resource-stickiness=100
pcs resource create VirtualIP ocf:heartbeat:IPaddr2 ip=10.200.0.100 cidr_netmask=24 nic=eth0 \
    op monitor interval=5s
