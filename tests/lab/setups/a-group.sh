# Scenario (a), seed 000 with our agents (crmsh): the seed's group of a VIP and MaxScale,
# with ocf:mariadb:vip in place of ocf:heartbeat:IPaddr2 and ocf:mariadb:maxscale in place of
# lsb:maxscale (the seed's monitor intervals shortened to 2 s for the test; the agent's advised
# timeouts, not the seed's shorter ones, which crmsh warns about; its
# default-resource-stickiness as rsc_defaults, 100 rather than infinity so
# that `crm resource move` wins over it).
# lab-needs: maxscale vip
crm configure rsc_defaults resource-stickiness=100
crm configure primitive maxscale_vip ocf:mariadb:vip \
    params ip=10.200.0.100 cidr_netmask=24 nic=eth0 \
    op monitor interval=2s
crm configure primitive MaxScale ocf:mariadb:maxscale \
    op monitor interval=2s timeout=20s \
    op start interval=0 timeout=60s \
    op stop interval=0 timeout=60s
crm configure group maxscale_service maxscale_vip MaxScale
