# Scenario (d), seed 002 with crmsh: a VIP in front of the Galera nodes, kept only where the
# local Galera node is healthy (the galera-sync clone publishes the node attribute galera-sync).
# lab-needs: vip galera-sync
# lab-probe: 3306
crm configure <<'CRM'
rsc_defaults resource-stickiness=100
primitive galera-sync ocf:mariadb:galera-sync \
    params connections_reserve=2 \
    op monitor interval=2s timeout=20s
clone galera-sync-clone galera-sync
primitive VirtualIP ocf:mariadb:vip \
    params ip=10.200.0.100 cidr_netmask=24 nic=eth0 \
    op monitor interval=5s
location VirtualIP-on-synced-galera VirtualIP \
    rule -inf: not_defined galera-sync or galera-sync number:lte 0
commit
CRM
