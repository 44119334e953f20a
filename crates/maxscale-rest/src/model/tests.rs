use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../tests/fixtures/", $name))
    };
}

fn maxscale(body: &[u8]) -> MaxScaleInfo {
    decode::<Document<Resource<MaxScaleAttributes>>>(body, Shape::Single)
        .unwrap()
        .data
        .into()
}

fn list<A, T>(body: &[u8]) -> Vec<T>
where
    A: DeserializeOwned + Default,
    T: From<Resource<A>>,
{
    decode::<Document<Vec<Resource<A>>>>(body, Shape::Collection)
        .unwrap()
        .data
        .into_iter()
        .map(T::from)
        .collect()
}

#[test]
fn maxscale_documents_of_every_version() {
    let v22 = maxscale(fixture!("maxscale-2.2.json"));
    assert_eq!(v22.version, Some(Version::new(2, 2, 21)));
    assert_eq!(v22.passive, Some(false));
    assert_eq!(v22.uptime, Some(7));
    assert!(!v22.config_sync_on());

    let v25 = maxscale(fixture!("maxscale-2.5.json"));
    assert_eq!(v25.version, Some(Version::new(2, 5, 29)));
    assert_eq!(v25.passive, Some(true));
    assert!(!v25.config_sync_on());

    let v64 = maxscale(fixture!("maxscale-6.4.json"));
    assert_eq!(v64.version_text.as_deref(), Some("6.4.15"));
    assert_eq!(v64.passive, Some(false));
    assert!(!v64.config_sync_on(), "config_sync null = off");

    let v24 = maxscale(fixture!("maxscale-24.02.json"));
    assert_eq!(v24.version, Some(Version::new(24, 2, 3)));
    assert_eq!(
        v24.commit.as_deref(),
        Some("d77a737db314a3dab3811a1e4b81e20ac2aedbe9")
    );
    assert_eq!(v24.uptime, Some(12));
    assert!(v24.config_sync);
    assert_eq!(v24.config_sync_cluster.as_deref(), Some("MariaDB-Monitor"));
}

#[test]
fn sparse_and_odd_maxscale_documents() {
    // A sparse fieldset answer (observed on 24.02).
    let sparse = br#"{"data":{"attributes":{"parameters":{"passive":false}},"id":"maxscale","type":"maxscale"},"links":{}}"#;
    let m = maxscale(sparse);
    assert_eq!(m.passive, Some(false));
    assert_eq!(m.version, None);
    // 2.2–2.4 stored passive as text in places; accept it.
    let text = br#"{"data":{"attributes":{"version":"2.3.20","parameters":{"passive":"true"}}}}"#;
    assert_eq!(maxscale(text).passive, Some(true));
    // Empty attributes: a document with nothing known.
    assert_eq!(
        maxscale(br#"{"data":{"id":"maxscale","attributes":{}}}"#),
        MaxScaleInfo::default()
    );
    let null_params = br#"{"data":{"attributes":{"parameters":null,"uptime":"5"}}}"#;
    assert_eq!(maxscale(null_params).uptime, Some(5));
}

#[test]
fn servers_states_are_flag_sets() {
    let s: Vec<Server> = list::<ServerAttributes, _>(fixture!("servers-24.02.json"));
    assert_eq!(s.len(), 3);
    assert_eq!(s[0].name, "server1");
    assert!(s[0].state.is_master() && s[0].state.is_running());
    assert_eq!(s[0].port, Some(3000));
    assert_eq!(s[0].address.as_deref(), Some("127.0.0.1"));
    assert!(s[1].state.has("Draining") && s[1].state.has("Slave") && s[1].state.is_running());
    assert!(!s[1].state.is_master());
    assert!(!s[2].state.is_running());
    assert_eq!(s[2].state.as_str(), "Down");

    let old: Vec<Server> = list::<ServerAttributes, _>(fixture!("servers-2.2.json"));
    assert_eq!(old[0].port, Some(3306), "port as a string");
    assert!(old[1].state.in_maintenance() && !old[1].state.is_running());
    // "Relay Master" is one flag, not "Master".
    let relay = ServerState::parse("Relay Master, Slave, Running");
    assert!(!relay.is_master() && relay.has("Relay Master"));
    assert_eq!(ServerState::parse("").flags().count(), 0);
}

#[test]
fn monitors_and_cooperative_locks() {
    let m: Vec<Monitor> = list::<MonitorAttributes, _>(fixture!("monitors-24.02.json"));
    assert_eq!(m[0].module.as_deref(), Some("mariadbmon"));
    assert!(m[0].is_running());
    assert_eq!(m[0].primary, None, "primary null = locks off");
    assert!(!m[0].cooperative_locks());
    assert_eq!(m[0].master.as_deref(), Some("server1"));
    assert_eq!(m[0].servers, ["server1", "server2"]);
    assert!(!m[1].is_running());
    assert!(m[1].servers.is_empty());

    let locks: Vec<Monitor> = list::<MonitorAttributes, _>(fixture!("monitors-locks-6.4.json"));
    assert_eq!(locks[0].primary, Some(true));
    assert!(locks[0].cooperative_locks());

    let old: Vec<Monitor> = list::<MonitorAttributes, _>(fixture!("monitors-2.4.json"));
    assert_eq!(old[0].primary, None);
    assert!(old[0].is_running());
}

#[test]
fn services_and_listeners() {
    let s: Vec<Service> = list::<ServiceAttributes, _>(fixture!("services-24.02.json"));
    assert_eq!(s[0].state.as_deref(), Some("Started"));
    assert_eq!(s[0].router.as_deref(), Some("readwritesplit"));
    assert_eq!(s[1].state.as_deref(), Some("Stopped"));
    let l: Vec<Listener> = list::<ListenerAttributes, _>(fixture!("listeners-24.02.json"));
    assert_eq!(l[0].port, Some(4006));
    assert_eq!(l[0].service.as_deref(), Some("RW-Split-Router"));
    assert_eq!(l[1].state.as_deref(), Some("Failed"));
    assert_eq!(
        l[1].service.as_deref(),
        Some("Read-Only"),
        "from relationships"
    );
}

#[test]
fn error_details() {
    assert_eq!(
        error_detail(br#"{ "errors": [ { "detail": "Access denied" } ] }"#).as_deref(),
        Some("Access denied")
    );
    assert_eq!(
        error_detail(br#"{"errors":[{"detail":"a"},{"detail":"b"}]}"#).as_deref(),
        Some("a; b")
    );
    assert_eq!(
        error_detail(br#"{"error":{"detail":"singular"}}"#).as_deref(),
        Some("singular")
    );
    assert_eq!(error_detail(b""), None);
    assert_eq!(error_detail(b"<html>"), None);
    assert_eq!(error_detail(br#"{"errors":[]}"#), None);
}

#[test]
fn garbage_and_wrong_shapes() {
    type One = Document<Resource<MaxScaleAttributes>>;
    type Many = Document<Vec<Resource<ServerAttributes>>>;
    let shape = |r: Result<(), DecodeError>| match r {
        Err(DecodeError::Shape(m)) => m,
        other => panic!("{other:?}"),
    };
    assert!(matches!(
        decode::<One>(b"\x00\x01garbage", Shape::Single),
        Err(DecodeError::NotJson(_))
    ));
    shape(decode::<One>(br#"{"links":{}}"#, Shape::Single).map(drop));
    // serde alone would take an empty array for a struct with defaults.
    shape(decode::<One>(br#"{"data":[]}"#, Shape::Single).map(drop));
    shape(decode::<One>(br#"{"data":{"id":"maxscale"}}"#, Shape::Single).map(drop));
    shape(decode::<Many>(br#"{"data":{"id":"x"}}"#, Shape::Collection).map(drop));
    shape(decode::<Many>(br#"{"data":[{"attributes":{}}]}"#, Shape::Collection).map(drop));
    shape(decode::<One>(b"[1,2]", Shape::Single).map(drop));
    assert!(decode::<Many>(br#"{"data":[]}"#, Shape::Collection).is_ok());
}
