# Issue 12's lab setup `galera`: Pacemaker runs the Galera nodes with ocf:mariadb:galera (a
# promotable clone: Promoted = mariadbd in the Primary component), and the demo on top: one
# active MaxScale, the VIP with it, kept off nodes whose Galera is not healthy. The agent
# publishes the galera-sync attribute itself (health_attribute), so the VIP rule is the demo's.
# setups/galera-ra.sh is the same cluster with ocf:heartbeat:galera, the anchor to compare with;
# the two differ only in the galera primitive (same op intervals and timeouts).
# Timeouts: promote 60 s is on purpose shorter than a slow state transfer (scenario j6); a
# joiner's promote returns once its transfer is under way, and monitor follows the transfer.
# lab-needs: galera maxscale vip
# lab-galera: pacemaker
# lab-boot: none
crm configure <<'CRM'
rsc_defaults resource-stickiness=100
property no-quorum-policy=stop
primitive galera ocf:mariadb:galera \
    params wsrep_cluster_address="gcomm://10.200.0.1,10.200.0.2,10.200.0.3" \
        cluster_host_map="n1:10.200.0.1;n2:10.200.0.2;n3:10.200.0.3" \
        log=/var/log/mysql/error.log non_primary_grace=30s \
    op start timeout=120s op stop timeout=120s op promote timeout=60s op demote timeout=120s \
    op monitor interval=3s timeout=30s role=Promoted \
    op monitor interval=4s timeout=30s role=Unpromoted
clone galera-clone galera \
    meta promotable=true promoted-max=3 failure-timeout=60s
commit
CRM
# the demo's MaxScale clone and VIP on top
crm configure load update "$LAB_SETUPS/parts/active-maxscale-vip.crm"
