# b-promotable with fencing off (stonith-enabled=false; no-quorum-policy stays stop): the
# lab's configuration before it had a fence device, for tests/bench/outage.sh's "without
# fencing" column.
# lab-needs: maxscale vip
pcs property set stonith-enabled=false
pcs resource defaults update resource-stickiness=100
pcs resource create maxscale ocf:mariadb:maxscale servers=galera1,galera2,galera3 \
    op monitor interval=2s timeout=5s role=Promoted \
    monitor interval=3s timeout=5s role=Unpromoted \
    meta migration-threshold=1 failure-timeout=60s \
    promotable promoted-max=1 promoted-node-max=1
pcs resource create vip ocf:mariadb:vip ip=10.200.0.100 cidr_netmask=24 nic=eth0 \
    op monitor interval=5s --disabled
pcs constraint colocation add vip with Promoted maxscale-clone INFINITY
pcs constraint order promote maxscale-clone then start vip
pcs resource enable vip
