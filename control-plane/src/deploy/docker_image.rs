//! The runtime image for the `docker` target: an existing one
//! (`QUARRY_RUNTIME_IMAGE`), or one built `FROM scratch` out of the static
//! `quarry-runtime` binary through the Engine API, from a tar context made in
//! memory — no registry, no docker CLI.

use std::path::Path;

use bollard::Docker;
use bollard::query_parameters::BuildImageOptionsBuilder;
use futures::StreamExt;

use super::deployer::DeployError;
use super::logs::LogBuffer;

/// Tag of the image built from the binary.
pub const LOCAL_TAG: &str = "quarry-runtime:quarry-local";
/// UID/GID the runtime runs as (distroless `nonroot`).
pub const RUNTIME_USER: &str = "65532:65532";
/// Largest binary put into a build context.
const MAX_BINARY_BYTES: u64 = 512 << 20;

const DOCKERFILE: &str = "FROM scratch
COPY etc/ /etc/
COPY quarry-runtime /usr/local/bin/quarry-runtime
COPY --chown=65532:65532 tmp/ /tmp/
USER 65532:65532
ENV QUARRY_RUNTIME_BIND=0.0.0.0:8080 SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD [\"/usr/local/bin/quarry-runtime\", \"healthcheck\"]
ENTRYPOINT [\"/usr/local/bin/quarry-runtime\"]
";

fn err(what: &str, e: impl std::fmt::Display) -> DeployError {
    DeployError::Backend(format!("{what}: {e}"))
}

fn add(tar: &mut tar::Builder<Vec<u8>>, path: &str, mode: u32, data: &[u8]) -> Result<(), DeployError> {
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(mode);
    h.set_cksum();
    tar.append_data(&mut h, path, data).map_err(|e| err("build context", e))
}

/// The build context: Dockerfile, the binary, a passwd/group for the user,
/// the host's CA bundle, an empty `/tmp`.
pub fn context(binary: &Path) -> Result<Vec<u8>, DeployError> {
    let size = std::fs::metadata(binary).map_err(|e| err(&format!("{}", binary.display()), e))?.len();
    if size > MAX_BINARY_BYTES {
        return Err(DeployError::Backend(format!("{} is larger than {MAX_BINARY_BYTES} bytes", binary.display())));
    }
    let bin = std::fs::read(binary).map_err(|e| err(&format!("{}", binary.display()), e))?;
    if !is_static_elf(&bin) {
        return Err(DeployError::Backend(format!(
            "{} is dynamically linked and cannot run FROM scratch; build it with RUSTFLAGS=\"-C target-feature=+crt-static\" \
             or set QUARRY_RUNTIME_IMAGE",
            binary.display()
        )));
    }
    let ca = std::fs::read("/etc/ssl/certs/ca-certificates.crt").unwrap_or_default();
    let mut tar = tar::Builder::new(Vec::new());
    add(&mut tar, "Dockerfile", 0o644, DOCKERFILE.as_bytes())?;
    add(&mut tar, "quarry-runtime", 0o755, &bin)?;
    add(
        &mut tar,
        "etc/passwd",
        0o644,
        b"root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
    )?;
    add(&mut tar, "etc/group", 0o644, b"root:x:0:\nnonroot:x:65532:\n")?;
    add(&mut tar, "etc/ssl/certs/ca-certificates.crt", 0o644, &ca)?;
    add(&mut tar, "tmp/.keep", 0o644, b"")?;
    tar.into_inner().map_err(|e| err("build context", e))
}

/// An ELF file without a program interpreter (`PT_INTERP`) is statically linked.
fn is_static_elf(bin: &[u8]) -> bool {
    let u16_at = |o: usize| bin.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]) as usize);
    let u64_at = |o: usize| bin.get(o..o + 8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as usize);
    if bin.get(..5) != Some(b"\x7fELF\x02") {
        return false; // only 64-bit ELF is checked; anything else is refused
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38)) else { return false };
    !(0..phnum).any(|i| bin.get(phoff + i * phentsize..phoff + i * phentsize + 4) == Some(&3u32.to_le_bytes()[..]))
}

/// Builds [`LOCAL_TAG`] from `binary`, streaming the build output to `logs`.
pub async fn build(docker: &Docker, binary: &Path, logs: &LogBuffer) -> Result<String, DeployError> {
    let ctx = context(binary)?;
    logs.deploy(&format!("Building image {LOCAL_TAG} from {} ({} bytes of context).", binary.display(), ctx.len()));
    let options =
        BuildImageOptionsBuilder::default().dockerfile("Dockerfile").t(LOCAL_TAG).rm(true).forcerm(true).build();
    let mut stream = docker.build_image(options, None, Some(bollard::body_full(ctx.into())));
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| err("image build", e))?;
        if let Some(detail) = info.error_detail {
            return Err(DeployError::Backend(format!("image build failed: {}", detail.message.unwrap_or_default())));
        }
        if let Some(line) = info.stream.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
            logs.push("deploy", line);
        }
    }
    Ok(LOCAL_TAG.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_dynamically_linked_binary_is_recognised() {
        // The test binary itself is dynamically linked (no crt-static in tests).
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert!(!super::is_static_elf(&me));
        assert!(!super::is_static_elf(b"#!/bin/sh\n"));
    }
}
