# setups/galera.sh on a two-node lab (NODES=2 tests/lab/lab up: corosync two_node), with
# ocf:mariadb:galera's two_node_mode=true: after a split, the node that fenced its peer may bootstrap
# Galera alone (scenario j7). Fencing is what makes this safe: the fenced peer boots without
# quorum (two_node implies wait_for_all) and cannot start Galera until it has seen this node.
# lab-needs: galera maxscale vip
# lab-galera: pacemaker
# lab-boot: none
# the fence race of a split: fencing n1 waits 10 s, so n1 fences n2 first and survives (one
# device for both nodes, a per-node static delay: pcmk_delay_base's host-map form)
crm resource param fence-lab set pcmk_delay_base "n1:10s;n2:0s"
crm configure <<'CRM'
rsc_defaults resource-stickiness=100
property no-quorum-policy=stop
primitive galera ocf:mariadb:galera \
    params wsrep_cluster_address="gcomm://10.200.0.1,10.200.0.2" \
        cluster_host_map="n1:10.200.0.1;n2:10.200.0.2" two_node_mode=true \
        log=/var/log/mysql/error.log non_primary_grace=30s \
    op start timeout=120s op stop timeout=120s op promote timeout=60s op demote timeout=120s \
    op monitor interval=3s timeout=30s role=Promoted \
    op monitor interval=4s timeout=30s role=Unpromoted
clone galera-clone galera \
    meta promotable=true promoted-max=2 failure-timeout=60s
primitive maxscale ocf:mariadb:maxscale \
    params servers=galera1,galera2 \
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
