# Scenario (d), seed 002 with pcs (the seed's own tool): the same as d-galera-sync-crm.
# lab-needs: vip galera-sync
# lab-probe: 3306
pcs resource defaults update resource-stickiness=100
pcs resource create galera-sync ocf:mariadb:galera-sync connections_reserve=2 \
    op monitor interval=2s timeout=20s clone
pcs resource create VirtualIP ocf:mariadb:vip ip=10.200.0.100 cidr_netmask=24 nic=eth0 \
    op monitor interval=5s --disabled
pcs constraint location VirtualIP rule score=-INFINITY not_defined galera-sync or galera-sync lte 0
pcs resource enable VirtualIP
