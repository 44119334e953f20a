# Issue 12's lab setup `galera-ra`: setups/galera.sh with ClusterLabs' ocf:heartbeat:galera
# (Debian's resource-agents) in place of ocf:mariadb:galera, the anchor the scenarios j1-j6
# compare with: same cluster address, host map, op intervals and timeouts, the demo's MaxScale
# clone and VIP on top. The RA publishes no health attribute, so the galera-sync clone does it
# for the VIP rule (ocf:heartbeat:galera's binary is mysqld_safe, its default).
# lab-needs: maxscale vip galera-sync heartbeat:galera
# lab-galera: pacemaker
# lab-boot: none
crm configure <<'CRM'
rsc_defaults resource-stickiness=100
property no-quorum-policy=stop
primitive galera ocf:heartbeat:galera \
    params wsrep_cluster_address="gcomm://10.200.0.1,10.200.0.2,10.200.0.3" \
        cluster_host_map="n1:10.200.0.1;n2:10.200.0.2;n3:10.200.0.3" \
        config=/etc/mysql/my.cnf datadir=/var/lib/mysql socket=/run/mysqld/mysqld.sock \
        pid=/run/mysqld/mysqld.pid log=/var/log/mysql/error.log \
    op start timeout=120s op stop timeout=120s op promote timeout=60s op demote timeout=120s \
    op monitor interval=3s timeout=30s role=Promoted \
    op monitor interval=4s timeout=30s role=Unpromoted
clone galera-clone galera \
    meta promotable=true promoted-max=3 failure-timeout=60s
primitive galera-sync ocf:mariadb:galera-sync \
    op monitor interval=2s timeout=20s
clone galera-sync-clone galera-sync
primitive maxscale ocf:mariadb:maxscale \
    params servers=galera1,galera2,galera3 \
    op monitor interval=2s timeout=5s role=Promoted \
    op monitor interval=3s timeout=5s role=Unpromoted \
    meta migration-threshold=1 failure-timeout=60s
clone maxscale-clone maxscale \
    meta promotable=true promoted-max=1 promoted-node-max=1
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
