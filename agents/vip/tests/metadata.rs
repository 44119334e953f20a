//! `vip meta-data` prints the agent's declaration. That the checked-in `metadata/vip.xml` is
//! current and valid for ocf-tester (`xmllint --valid` against ra-api-1.dtd) is tested for every
//! agent in packaging/tests/generated.rs.

use ocf::Agent;
use ocf_test_support::assert_meta_data_is_the_declaration;

#[test]
fn meta_data_prints_the_declaration() {
    assert_meta_data_is_the_declaration(env!("CARGO_BIN_EXE_vip"), vip::VipAgent.info());
}
