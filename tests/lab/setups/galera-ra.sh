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
commit
CRM
# the demo's MaxScale clone and VIP on top
crm configure load update "$LAB_SETUPS/parts/active-maxscale-vip.crm"
