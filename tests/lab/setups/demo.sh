# The lab's default demo (crmsh): one active MaxScale (a promotable clone: the promoted
# instance has passive=false, the others passive=true), the VIP where the active MaxScale
# runs, and the VIP kept off nodes whose local Galera is not Synced (galera-sync clone + rule).
# failure-timeout: a failed action (a MaxScale killed by hand, a VIP monitor that saw its link
# cut) is forgotten after 60 s, so the node can take the role again and crm_mon stops listing
# it; migration-threshold=1 moves the active MaxScale away at its first failure instead of
# restarting it in place (see tests/lab/README.md, "After a failure").
# lab-needs: maxscale vip galera-sync
crm configure <<'CRM'
rsc_defaults resource-stickiness=100
primitive maxscale ocf:mariadb:maxscale \
    params servers=galera1,galera2,galera3 \
    op monitor interval=2s timeout=5s role=Promoted \
    op monitor interval=3s timeout=5s role=Unpromoted \
    meta migration-threshold=1 failure-timeout=60s
clone maxscale-clone maxscale \
    meta promotable=true promoted-max=1 promoted-node-max=1
primitive galera-sync ocf:mariadb:galera-sync \
    op monitor interval=2s timeout=20s
clone galera-sync-clone galera-sync
primitive vip ocf:mariadb:vip \
    params ip=10.200.0.100 cidr_netmask=24 nic=eth0 \
    op monitor interval=5s \
    meta failure-timeout=60s
colocation vip-with-active-maxscale inf: vip maxscale-clone:Promoted
order vip-after-promote Mandatory: maxscale-clone:promote vip:start
location vip-on-synced-galera vip \
    rule -inf: not_defined galera-sync or galera-sync number:lte 0
commit
CRM
