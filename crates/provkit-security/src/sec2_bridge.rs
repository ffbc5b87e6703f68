//! The façade's only door into security 2: the names the façade uses, taken from
//! [`crate::sec2`]. Keeping them in one place means a rename there touches one file here.

pub use crate::sec2::Sec2Patch;
pub(crate) use crate::sec2::{
    ClientAwaitResp0, ClientAwaitResp1, DeviceAwaitCmd1, DeviceCredentials, GcmCipher,
    device_handle_cmd0, generate_credentials,
};
