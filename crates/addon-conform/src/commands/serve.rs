//! `serve-reference`: the built-in correct add-on (or a deliberately broken one) on loopback, to
//! try the suite, to demonstrate a fault, or to develop against.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use manifest_core::exit;
use reference_addon::{Fault, ReferenceAddon};

use crate::args::{ManifestArgs, ServeReferenceArgs};
use crate::commands::test::ctrl_c;
use crate::error::CliError;
use crate::load::ManifestFile;
use crate::private_file::{Links, write_private};
use crate::registry;

/// Every fault with the platforms it applies to and what it breaks.
pub fn fault_list() -> String {
    let width = Fault::ALL
        .iter()
        .map(|fault| fault.to_string().len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for fault in Fault::ALL {
        let platforms: Vec<&str> = dialects::having(fault.breaks())
            .iter()
            .map(|p| p.as_str())
            .collect();
        out.push_str(&format!(
            "{:width$}  [{}]  {}\n",
            fault.to_string(),
            platforms.join(","),
            fault.description()
        ));
    }
    out
}

/// Where the manifest went: a path the user chose, or a temporary file removed on exit.
enum ManifestOut {
    Chosen(PathBuf),
    Temporary(tempfile::NamedTempFile),
}

impl ManifestOut {
    fn path(&self) -> PathBuf {
        match self {
            ManifestOut::Chosen(path) => path.clone(),
            ManifestOut::Temporary(file) => file.path().to_path_buf(),
        }
    }
}

/// Writes the manifest where the user chose, or to a temporary file named like the platform's
/// own (`.json`, Bitrise's `.yaml`), since a file's name says how it is read.
fn write_manifest(
    chosen: Option<&PathBuf>,
    text: &str,
    default_name: &str,
) -> Result<ManifestOut, CliError> {
    match chosen {
        Some(path) => {
            write_private(path, text, Links::Replace)
                .map_err(|error| CliError::file("cannot write", path, error))?;
            Ok(ManifestOut::Chosen(path.clone()))
        }
        None => {
            let mut file = tempfile::Builder::new()
                .prefix("addon-conform-reference-")
                .suffix(&format!(
                    ".{}",
                    Path::new(default_name)
                        .extension()
                        .and_then(|extension| extension.to_str())
                        .unwrap_or("json")
                ))
                .tempfile()
                .map_err(|error| CliError::io("cannot create a temporary manifest", error))?;
            file.write_all(text.as_bytes())
                .and_then(|()| file.flush())
                .map_err(|error| CliError::io("cannot write the temporary manifest", error))?;
            Ok(ManifestOut::Temporary(file))
        }
    }
}

pub async fn serve_reference(args: &ServeReferenceArgs) -> Result<i32, CliError> {
    if args.list_faults {
        print!("{}", fault_list());
        return Ok(exit::PASSED);
    }
    let dialect = registry::dialect(args.platform)?;
    for fault in &args.faults {
        if !fault.applies_to(dialect) {
            return Err(CliError::usage(format!(
                "fault `{fault}` does not apply to {}",
                args.platform
            )));
        }
    }

    let mut addon = ReferenceAddon::new(args.platform);
    for fault in &args.faults {
        addon = addon.fault(*fault);
    }
    if let Some(sso) = args.sso {
        addon = addon.sso_transport(sso.into());
    }
    if let Some(path) = &args.secrets_from {
        let file = ManifestFile::open(&ManifestArgs {
            platform: Some(args.platform),
            manifest: Some(path.clone()),
        })?;
        let manifest = file.load_to_send()?;
        let salt = manifest.sso_salt.as_ref().map_or("", |salt| salt.expose());
        addon = addon.secrets(manifest.credentials.secret().expose(), salt);
    }
    if let Some(delay) = args.delay_per_concurrent_request {
        addon = addon.delay_per_concurrent_request(delay);
    }
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let running = addon
        .start_on(address)
        .await
        .map_err(|error| CliError::io(format!("cannot listen on {address}"), error))?;
    let manifest = write_manifest(
        args.manifest_out.as_ref(),
        &running.manifest_json(),
        dialect.default_manifest_file(),
    )?;
    let path = manifest.path();

    let faults = if args.faults.is_empty() {
        "no faults".to_string()
    } else {
        let names: Vec<String> = args.faults.iter().map(ToString::to_string).collect();
        format!("faults: {}", names.join(", "))
    };
    println!(
        "reference {} add-on ({faults}) listening on http://{}",
        args.platform,
        running.addr()
    );
    println!("manifest: {}", path.display());
    println!(
        "try:      addon-conform test --platform {} --manifest {}",
        args.platform,
        path.display()
    );
    println!("press Ctrl-C to stop");

    ctrl_c().await;
    let left = running.live_resources();
    running.shutdown().await;
    if left.is_empty() {
        println!("stopped; no resources were left provisioned");
    } else {
        println!(
            "stopped; {} resource(s) were still provisioned: {}",
            left.len(),
            left.join(", ")
        );
    }
    // A temporary manifest is removed only now, once nothing can use it any more.
    drop(manifest);
    Ok(exit::PASSED)
}
