# legacy-vip-nofence (seed 002 as published: fencing off, no-quorum-policy=ignore) with
# ocf:mariadb:vip in place of IPaddr2: its duplicate-address probe refuses to start the VIP
# while another host still answers for it (scenario g).
# lab-needs: vip
# lab-probe: 3306
pcs property set stonith-enabled=false
pcs property set no-quorum-policy=ignore
pcs resource defaults update resource-stickiness=100
pcs resource create VirtualIP ocf:mariadb:vip ip=10.200.0.100 cidr_netmask=24 nic=eth0 \
    op monitor interval=5s
