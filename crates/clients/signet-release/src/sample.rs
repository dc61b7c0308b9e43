//! Deterministic, Kubernetes-shaped sample releases for tests and benchmarks.
//!
//! The catalogue mirrors `https://dl.k8s.io/release/<version>/` as staged by krel
//! (`pkg/build/push.go`, `hack/lib/golang.sh`): for each of linux/{amd64, arm64, ppc64le, s390x}
//! the server binaries, image archives (`*.tar`) and `*.docker_tag` files under
//! `bin/linux/<arch>/`; `kubectl`/`kubectl-convert` for darwin/{amd64, arm64} and
//! windows/{amd64, arm64} (`.exe`), plus the node binaries on windows/amd64; client, server, node
//! and test tarballs; `kubernetes.tar.gz`, `kubernetes-src.tar.gz`, the upstream SPDX files and the
//! `extra/gce` scripts: 130 files. Relative sizes follow real releases (server tarballs, image
//! archives and `kube-apiserver` are the biggest; tags and scripts are tiny), jittered ±10% per
//! file from the seed, and scaled so the sizes sum to exactly [`SampleOptions::total_bytes`].
//!
//! With fewer files than the catalogue, the largest entries are kept; with more, filler files
//! `extra/data/part-<n>.bin` are added. Content is pseudo-random bytes (xoshiro256** seeded from
//! the seed and the path), so tarballs are not valid gzip. The same options always produce the
//! same bytes, independently of thread scheduling and of any external crate's RNG.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::{RelPath, ReleaseError, Result};

/// Write chunk size (and PRNG fill size).
const CHUNK: usize = 1 << 20;
/// Most files a sample may have.
pub const MAX_SAMPLE_FILES: usize = 1_000_000;

/// Options for [`generate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleOptions {
    /// Number of files (default 130, the full catalogue).
    pub files: usize,
    /// Sum of all file sizes in bytes (default 64 MiB).
    pub total_bytes: u64,
    /// PRNG seed for sizes and content (default 0).
    pub seed: u64,
}

impl Default for SampleOptions {
    fn default() -> Self {
        Self {
            files: 130,
            total_bytes: 64 << 20,
            seed: 0,
        }
    }
}

/// One generated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleFile {
    /// Release-relative path.
    pub path: RelPath,
    /// Size in bytes.
    pub size: u64,
}

/// A generated sample release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleRelease {
    /// The directory the release was written to.
    pub root: PathBuf,
    /// The files, sorted by path.
    pub files: Vec<SampleFile>,
}

impl SampleRelease {
    /// The file paths, sorted.
    pub fn paths(&self) -> Vec<RelPath> {
        self.files.iter().map(|f| f.path.clone()).collect()
    }

    /// Sum of the file sizes.
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// Approximate sizes in KiB of a v1.3x release; only ratios matter.
const LINUX_ARCHES: [&str; 4] = ["amd64", "arm64", "ppc64le", "s390x"];
const SERVER_BINARIES: [(&str, u64); 12] = [
    ("kube-apiserver", 92_000),
    ("kube-controller-manager", 86_000),
    ("kubelet", 77_000),
    ("kube-aggregator", 62_000),
    ("apiextensions-apiserver", 63_000),
    ("kube-scheduler", 56_000),
    ("kube-proxy", 56_000),
    ("kubectl", 49_000),
    ("kubeadm", 48_000),
    ("kubectl-convert", 48_000),
    ("kube-log-runner", 1_600),
    ("mounter", 1_700),
];
const IMAGES: [(&str, u64); 4] = [
    ("kube-apiserver", 95_000),
    ("kube-controller-manager", 89_000),
    ("kube-scheduler", 59_000),
    ("kube-proxy", 78_000),
];
const CLIENT_PLATFORMS: [(&str, &str); 8] = [
    ("linux", "amd64"),
    ("linux", "arm64"),
    ("linux", "ppc64le"),
    ("linux", "s390x"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
    ("windows", "amd64"),
    ("windows", "arm64"),
];
const EXTRA: [(&str, u64); 8] = [
    ("extra/gce/configure-vm.sh", 30),
    ("extra/gce/node.yaml", 12),
    ("extra/gce/master.yaml", 14),
    ("extra/gce/configure.sh", 40),
    ("extra/gce/shutdown.sh", 2),
    ("extra/gce/windows/configure.ps1", 9),
    ("extra/gce/windows/common.psm1", 25),
    ("extra/gce/windows/k8s-node-setup.psm1", 90),
];

/// The full Kubernetes-shaped catalogue: (path, relative size), 130 entries.
fn catalogue() -> Vec<(String, u64)> {
    let mut c: Vec<(String, u64)> = Vec::with_capacity(130);
    for arch in LINUX_ARCHES {
        for (bin, w) in SERVER_BINARIES {
            c.push((format!("bin/linux/{arch}/{bin}"), w));
        }
        for (img, w) in IMAGES {
            c.push((format!("bin/linux/{arch}/{img}.tar"), w));
            c.push((format!("bin/linux/{arch}/{img}.docker_tag"), 1));
        }
    }
    for (os, arch) in CLIENT_PLATFORMS {
        if os == "linux" {
            continue;
        }
        let mut bins = vec![("kubectl", 49_000), ("kubectl-convert", 48_000)];
        if os == "windows" && arch == "amd64" {
            bins.extend([
                ("kubelet", 77_000),
                ("kubeadm", 48_000),
                ("kube-proxy", 56_000),
                ("kube-log-runner", 1_600),
            ]);
        }
        let ext = if os == "windows" { ".exe" } else { "" };
        for (b, w) in bins {
            c.push((format!("bin/{os}/{arch}/{b}{ext}"), w));
        }
    }
    for (os, arch) in CLIENT_PLATFORMS {
        c.push((format!("kubernetes-client-{os}-{arch}.tar.gz"), 31_000));
    }
    for arch in LINUX_ARCHES {
        c.push((format!("kubernetes-server-linux-{arch}.tar.gz"), 380_000));
        c.push((format!("kubernetes-node-linux-{arch}.tar.gz"), 122_000));
        c.push((format!("kubernetes-test-linux-{arch}.tar.gz"), 190_000));
    }
    c.push(("kubernetes-node-windows-amd64.tar.gz".into(), 118_000));
    for (os, arch) in [
        ("darwin", "amd64"),
        ("darwin", "arm64"),
        ("windows", "amd64"),
    ] {
        c.push((format!("kubernetes-test-{os}-{arch}.tar.gz"), 150_000));
    }
    c.push(("kubernetes-test-portable.tar.gz".into(), 300));
    c.push(("kubernetes-manifests.tar.gz".into(), 30));
    c.push(("kubernetes.tar.gz".into(), 500));
    c.push(("kubernetes-src.tar.gz".into(), 40_000));
    c.push(("kubernetes-release.spdx".into(), 1_200));
    c.push(("kubernetes-source.spdx".into(), 2_500));
    for (p, w) in EXTRA {
        c.push((p.into(), w));
    }
    c
}

/// Computes the file list and sizes [`generate`] would write, without touching the disk.
pub fn layout(opts: &SampleOptions) -> Result<Vec<SampleFile>> {
    if opts.files == 0 || opts.files > MAX_SAMPLE_FILES {
        return Err(ReleaseError::invalid(
            "sample options",
            format!(
                "files must be between 1 and {MAX_SAMPLE_FILES}, got {}",
                opts.files
            ),
        ));
    }
    let mut entries = catalogue();
    // Keep the biggest entries when fewer files are wanted (stable: ties keep catalogue order).
    entries.sort_by_key(|e| std::cmp::Reverse(e.1));
    entries.truncate(opts.files);
    // After the truncation entries.len() <= opts.files.
    let missing = opts.files.saturating_sub(entries.len());
    entries.extend((0..missing).map(|n| (format!("extra/data/part-{n:06}.bin"), 1_000)));
    // Seeded ±10% jitter so arches and seeds differ.
    let mut rng = Xoshiro::new(opts.seed);
    let weights: Vec<u128> = entries
        .iter()
        .map(|(_, w)| {
            let jitter = (rng.next_u64() % 201).saturating_add(900); // 900..=1100 per mille
            // A u64 times at most 1100 fits in a u128: never saturates.
            u128::from(*w).saturating_mul(u128::from(jitter))
        })
        .collect();
    let sum: u128 = weights.iter().sum();
    let total = u128::from(opts.total_bytes);
    let mut sizes: Vec<u64> = weights
        .iter()
        .map(|w| {
            total
                .checked_mul(*w)
                .and_then(|p| p.checked_div(sum))
                .and_then(|s| u64::try_from(s).ok())
                .ok_or_else(|| {
                    ReleaseError::invalid("sample options", "total size too large to divide")
                })
        })
        .collect::<Result<_>>()?;
    // Floor division leaves a remainder smaller than the file count: one byte each to the
    // biggest files, so the sizes sum exactly to total_bytes.
    let assigned: u64 = sizes.iter().sum();
    // Floor division: assigned <= total_bytes.
    let mut rem = opts.total_bytes.saturating_sub(assigned);
    let mut order: Vec<(usize, u128)> = weights.iter().copied().enumerate().collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (i, _) in order {
        let Some(r) = rem.checked_sub(1) else {
            break;
        };
        rem = r;
        if let Some(size) = sizes.get_mut(i) {
            // The sizes sum to at most total_bytes: never saturates.
            *size = size.saturating_add(1);
        }
    }
    let mut files = entries
        .into_iter()
        .zip(sizes)
        .map(|((p, _), size)| {
            Ok(SampleFile {
                path: RelPath::new(p)?,
                size,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Writes a sample release into `dir` (created if needed; must be empty) and returns its files.
///
/// Files are written in parallel, 1 MiB per `write`, without fsync: generating 2 GiB takes
/// seconds on page cache.
pub fn generate(dir: &Path, opts: &SampleOptions) -> Result<SampleRelease> {
    let files = layout(opts)?;
    fs::create_dir_all(dir).map_err(|e| ReleaseError::io("create directory", dir, e))?;
    let mut rd = fs::read_dir(dir).map_err(|e| ReleaseError::io("read directory", dir, e))?;
    if rd.next().is_some() {
        return Err(ReleaseError::invalid(
            "sample directory",
            format!("{} is not empty", dir.display()),
        ));
    }
    files.par_iter().with_max_len(1).try_for_each_init(
        || vec![0u8; CHUNK],
        |buf, f| write_file(dir, opts.seed, f, buf),
    )?;
    Ok(SampleRelease {
        root: dir.to_path_buf(),
        files,
    })
}

fn write_file(dir: &Path, seed: u64, f: &SampleFile, buf: &mut [u8]) -> Result<()> {
    let path = f.path.to_path(dir);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| ReleaseError::io("create directory", parent, e))?;
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| ReleaseError::io("create", &path, e))?;
    let mut rng = Xoshiro::new(seed ^ fnv1a(f.path.as_str().as_bytes()));
    let mut left = f.size;
    while left > 0 {
        let n = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
        let chunk = buf
            .get_mut(..n)
            .ok_or_else(|| ReleaseError::invalid("sample", "chunk larger than buffer"))?;
        rng.fill(chunk);
        file.write_all(chunk)
            .map_err(|e| ReleaseError::io("write", &path, e))?;
        // n <= left (the min above).
        left = left.saturating_sub(n as u64);
    }
    Ok(())
}

fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// xoshiro256** (Blackman & Vigna), seeded with splitmix64. Fixed here so sample bytes never
/// change with a dependency update.
struct Xoshiro([u64; 4]);

impl Xoshiro {
    fn new(seed: u64) -> Self {
        let mut sm = seed;
        let mut next = || {
            sm = sm.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Self([next(), next(), next(), next()])
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    fn fill(&mut self, buf: &mut [u8]) {
        let mut chunks = buf.chunks_exact_mut(8);
        for c in &mut chunks {
            c.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        let tail = chunks.into_remainder();
        let last = self.next_u64().to_le_bytes();
        for (d, s) in tail.iter_mut().zip(last) {
            *d = s;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::{list_artifacts, sha256_files};

    #[test]
    fn catalogue_is_kubernetes_shaped() {
        let c = catalogue();
        assert_eq!(c.len(), 130);
        let names: Vec<&str> = c.iter().map(|(p, _)| p.as_str()).collect();
        for must in [
            "bin/linux/amd64/kube-apiserver",
            "bin/linux/s390x/kubectl-convert",
            "bin/linux/ppc64le/kubelet",
            "bin/darwin/arm64/kubectl",
            "bin/windows/amd64/kubectl.exe",
            "bin/windows/amd64/kubelet.exe",
            "kubernetes-client-windows-arm64.tar.gz",
            "kubernetes-server-linux-arm64.tar.gz",
            "kubernetes-node-linux-s390x.tar.gz",
            "kubernetes.tar.gz",
            "kubernetes-src.tar.gz",
        ] {
            assert!(names.contains(&must), "{must}");
        }
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 130);
    }

    #[test]
    fn layout_sums_exactly_and_is_skewed() {
        for (files, total) in [
            (130, 64u64 << 20),
            (130, 2 << 30),
            (7, 1_000_003),
            (200, 999),
            (1, 5),
        ] {
            let l = layout(&SampleOptions {
                files,
                total_bytes: total,
                seed: 42,
            })
            .unwrap();
            assert_eq!(l.len(), files);
            assert_eq!(
                l.iter().map(|f| f.size).sum::<u64>(),
                total,
                "{files} {total}"
            );
        }
        let l = layout(&SampleOptions::default()).unwrap();
        let biggest = l.iter().max_by_key(|f| f.size).unwrap();
        assert!(
            biggest
                .path
                .as_str()
                .starts_with("kubernetes-server-linux-"),
            "{biggest:?}"
        );
        let size = |p: &str| l.iter().find(|f| f.path == p).unwrap().size;
        assert!(size("bin/linux/amd64/kube-apiserver") > size("bin/linux/amd64/kubectl"));
        assert!(size("bin/linux/amd64/kube-apiserver") > 100 * size("extra/gce/node.yaml"));
        assert!(
            layout(&SampleOptions {
                files: 0,
                ..Default::default()
            })
            .is_err()
        );
    }

    #[test]
    fn generates_exact_deterministic_release() {
        let opts = SampleOptions {
            files: 130,
            total_bytes: 3 << 20,
            seed: 7,
        };
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let ra = generate(a.path(), &opts).unwrap();
        let rb = generate(&b.path().join("nested/dir"), &opts).unwrap();
        assert_eq!(ra.files, rb.files);
        assert_eq!(ra.files.len(), 130);
        assert_eq!(ra.total_bytes(), 3 << 20);
        let listed = list_artifacts(a.path()).unwrap();
        assert_eq!(listed, ra.paths());
        let mut on_disk = 0;
        for f in &ra.files {
            let len = fs::metadata(f.path.to_path(a.path())).unwrap().len();
            assert_eq!(len, f.size, "{}", f.path);
            on_disk += len;
        }
        assert_eq!(on_disk, 3 << 20);
        let ha = sha256_files(a.path(), &listed).unwrap();
        let hb = sha256_files(&rb.root, &listed).unwrap();
        assert_eq!(ha, hb);
        // A different seed gives different content.
        let c = tempfile::tempdir().unwrap();
        generate(
            c.path(),
            &SampleOptions {
                seed: 8,
                ..opts.clone()
            },
        )
        .unwrap();
        let hc = sha256_files(c.path(), &listed);
        assert!(hc.is_err() || hc.unwrap() != ha);
        // Refuses a non-empty directory.
        assert!(generate(a.path(), &opts).is_err());
    }

    #[test]
    fn prng_is_stable() {
        // Pinned so that sample bytes never silently change.
        let mut r = Xoshiro::new(0);
        let first: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        let mut r2 = Xoshiro::new(0);
        let mut buf = [0u8; 20];
        r2.fill(&mut buf);
        assert_eq!(&buf[..8], &first[0].to_le_bytes());
        assert_eq!(&buf[8..16], &first[1].to_le_bytes());
        assert_eq!(&buf[16..], &first[2].to_le_bytes()[..4]);
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
