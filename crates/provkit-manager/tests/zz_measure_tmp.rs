#[test]
fn measure() {
    println!("MEASURE Manager={} Device={} Action={} Event={} ManagerConfig={}",
        core::mem::size_of::<provkit_manager::Manager>(),
        core::mem::size_of::<provkit_manager::Device>(),
        core::mem::size_of::<provkit_manager::Action>(),
        core::mem::size_of::<provkit_manager::Event>(),
        core::mem::size_of::<provkit_manager::ManagerConfig>());
}
