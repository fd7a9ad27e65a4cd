//! Runs one argv in one container over the Kubernetes exec websocket (kube-rs), bounded by a
//! timeout, and turns the channel-3 status into an exit code or a "binary absent" outcome.

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::api::{Api, AttachParams};
use serde::Serialize;
use std::future::Future;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// The most bytes kept of one exec's stdout (and of its stderr): what a pod prints is not
/// trusted to be small, and the probe's own commands print far less.
pub const MAX_EXEC_OUTPUT: usize = 16 * 1024 * 1024;

/// Output of one exec. stdout and stderr are kept as bytes: /proc files carry NULs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub outcome: ExecOutcome,
}

/// How an exec ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "detail")]
pub enum ExecOutcome {
    Exited(u8),
    /// The runtime could not start argv[0] (containerd's InternalError, docker's 126, a
    /// shell's 127): the binary is not in the image.
    NotFound(String),
    /// The exec failed for another reason (the message is the runtime's).
    Failed(String),
}

/// How messages name an outcome: `exit code 2`, `not found: ...`, the runtime's message.
impl std::fmt::Display for ExecOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExecOutcome::Exited(code) => write!(f, "exit code {code}"),
            ExecOutcome::NotFound(message) => write!(f, "not found: {message}"),
            ExecOutcome::Failed(message) => f.write_str(message),
        }
    }
}

/// Why an exec produced no outcome at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecError {
    /// The pod or container disappeared (404) or is not running.
    Gone(String),
    Forbidden(String),
    Timeout(Duration),
    Transport(String),
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExecError::Gone(m) => write!(f, "pod or container gone: {m}"),
            ExecError::Forbidden(m) => write!(
                f,
                "exec forbidden by RBAC: {m}; the probe needs {}",
                super::NEEDED_VERBS
            ),
            ExecError::Timeout(d) => write!(f, "exec timed out after {}s", d.as_secs()),
            ExecError::Transport(m) => write!(f, "exec failed: {m}"),
        }
    }
}

/// Something that can run argv in a container. The kube-rs implementation is [`KubeExec`].
pub trait Exec {
    fn exec(
        &self,
        pod: &str,
        container: &str,
        argv: &[String],
    ) -> impl Future<Output = Result<ExecOutput, ExecError>> + Send;
}

pub struct KubeExec {
    api: Api<Pod>,
    timeout: Duration,
}

impl KubeExec {
    pub fn new(client: kube::Client, namespace: &str, timeout: Duration) -> Self {
        KubeExec {
            api: Api::namespaced(client, namespace),
            timeout,
        }
    }
}

impl Exec for KubeExec {
    fn exec(
        &self,
        pod: &str,
        container: &str,
        argv: &[String],
    ) -> impl Future<Output = Result<ExecOutput, ExecError>> + Send {
        let api = self.api.clone();
        let timeout = self.timeout;
        let pod = pod.to_string();
        let params = AttachParams::default()
            .container(container)
            .stdin(false)
            .stdout(true)
            .stderr(true);
        let argv = argv.to_vec();
        async move {
            match tokio::time::timeout(timeout, exec_once(api, pod, argv, params)).await {
                Ok(result) => result,
                // Dropping the AttachedProcess aborts its task; the probe's commands end on
                // their own, so nothing is left running in the container.
                Err(_) => Err(ExecError::Timeout(timeout)),
            }
        }
    }
}

async fn exec_once(
    api: Api<Pod>,
    pod: String,
    argv: Vec<String>,
    params: AttachParams,
) -> Result<ExecOutput, ExecError> {
    let mut attached = api
        .exec(&pod, argv, &params)
        .await
        .map_err(classify_error)?;
    let mut out = attached
        .stdout()
        .ok_or_else(|| ExecError::Transport("no stdout stream".into()))?;
    let mut err = attached
        .stderr()
        .ok_or_else(|| ExecError::Transport("no stderr stream".into()))?;
    let status = attached.take_status();
    // Both pipes must be drained together: the exec task blocks on whichever is full. Once
    // one goes over the cap the other is abandoned too: it would never end while the first is
    // no longer read.
    let transport = |e: std::io::Error| ExecError::Transport(e.to_string());
    let out_read = read_capped(&mut out, MAX_EXEC_OUTPUT);
    let err_read = read_capped(&mut err, MAX_EXEC_OUTPUT);
    tokio::pin!(out_read, err_read);
    let (mut stdout, mut stderr) = (None, None);
    let mut cut = false;
    while !cut && (stdout.is_none() || stderr.is_none()) {
        tokio::select! {
            read = &mut out_read, if stdout.is_none() => {
                let (bytes, over) = read.map_err(transport)?;
                cut |= over;
                stdout = Some(bytes);
            }
            read = &mut err_read, if stderr.is_none() => {
                let (bytes, over) = read.map_err(transport)?;
                cut |= over;
                stderr = Some(bytes);
            }
        }
    }
    let (stdout, stderr) = (stdout.unwrap_or_default(), stderr.unwrap_or_default());
    if cut {
        // Not waiting for the status: the command may go on printing. Dropping the attached
        // process closes the stream.
        return Ok(ExecOutput {
            stdout,
            stderr,
            outcome: ExecOutcome::Failed(format!(
                "the command printed more than {} MiB; its output was cut there and not used",
                MAX_EXEC_OUTPUT / (1024 * 1024)
            )),
        });
    }
    let status = match status {
        Some(fut) => fut.await,
        None => None,
    };
    let _ = attached.join().await;
    let outcome = outcome_from_status(status.as_ref(), &stderr);
    Ok(ExecOutput {
        stdout,
        stderr,
        outcome,
    })
}

/// Reads a stream to its end or to `cap` bytes, whichever comes first; `true` when it was cut.
pub(crate) async fn read_capped<R: tokio::io::AsyncRead + Unpin>(
    reader: R,
    cap: usize,
) -> std::io::Result<(Vec<u8>, bool)> {
    let mut bytes = Vec::new();
    reader.take(cap as u64 + 1).read_to_end(&mut bytes).await?;
    let cut = bytes.len() > cap;
    bytes.truncate(cap);
    Ok((bytes, cut))
}

fn classify_error(e: kube::Error) -> ExecError {
    match e {
        kube::Error::Api(status) => {
            let message = status.message.clone();
            match status.code {
                404 => ExecError::Gone(message),
                403 => ExecError::Forbidden(message),
                // The apiserver answers 400 for a container that is not running or gone.
                400 if message.contains("not found")
                    || message.contains("not valid")
                    || message.contains("does not have a host") =>
                {
                    ExecError::Gone(message)
                }
                _ => ExecError::Transport(message),
            }
        }
        other => ExecError::Transport(other.to_string()),
    }
}

/// Converts the exec's channel-3 status into an outcome. No status (the server closed without
/// one) counts as success, as client-go does.
pub fn outcome_from_status(status: Option<&Status>, stderr: &[u8]) -> ExecOutcome {
    let Some(status) = status else {
        return ExecOutcome::Exited(0);
    };
    if status.status.as_deref() == Some("Success") {
        return ExecOutcome::Exited(0);
    }
    let message = status.message.clone().unwrap_or_default();
    if status.reason.as_deref() == Some("NonZeroExitCode") {
        let code = status
            .details
            .as_ref()
            .and_then(|d| d.causes.as_ref())
            .and_then(|causes| {
                causes
                    .iter()
                    .find(|c| c.reason.as_deref() == Some("ExitCode"))
                    .and_then(|c| c.message.as_deref())
                    .and_then(|m| m.trim().parse::<u8>().ok())
            });
        return match code {
            Some(code @ (126 | 127))
                if mentions_missing_binary(&String::from_utf8_lossy(stderr)) =>
            {
                ExecOutcome::NotFound(format!(
                    "exit code {code}: {}",
                    String::from_utf8_lossy(stderr).trim()
                ))
            }
            Some(code) => ExecOutcome::Exited(code),
            None => ExecOutcome::Failed(message),
        };
    }
    if mentions_missing_binary(&message) {
        ExecOutcome::NotFound(message)
    } else {
        ExecOutcome::Failed(message)
    }
}

fn mentions_missing_binary(text: &str) -> bool {
    text.contains("executable file not found")
        || text.contains("no such file or directory")
        || text.contains("not found")
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{StatusCause, StatusDetails};

    #[test]
    fn endless_output_is_cut_at_the_cap() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        // An endless stream (like `cat /dev/zero`) ends at the cap, flagged as cut.
        let (bytes, cut) = runtime
            .block_on(read_capped(tokio::io::repeat(b'x'), 1000))
            .unwrap();
        assert_eq!((bytes.len(), cut), (1000, true));
        let (bytes, cut) = runtime.block_on(read_capped(&b"short"[..], 1000)).unwrap();
        assert_eq!((bytes, cut), (b"short".to_vec(), false));
        let (bytes, cut) = runtime.block_on(read_capped(&b"exact"[..], 5)).unwrap();
        assert_eq!((bytes, cut), (b"exact".to_vec(), false));
    }

    fn status(status: &str, reason: Option<&str>, message: &str, exit: Option<&str>) -> Status {
        Status {
            status: Some(status.into()),
            reason: reason.map(Into::into),
            message: Some(message.into()),
            details: exit.map(|code| StatusDetails {
                causes: Some(vec![StatusCause {
                    reason: Some("ExitCode".into()),
                    message: Some(code.into()),
                    field: None,
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn success_and_missing_status_are_exit_zero() {
        assert_eq!(
            outcome_from_status(Some(&status("Success", None, "", None)), b""),
            ExecOutcome::Exited(0)
        );
        assert_eq!(outcome_from_status(None, b""), ExecOutcome::Exited(0));
    }

    #[test]
    fn non_zero_exit_code_comes_from_the_exit_code_cause() {
        let s = status(
            "Failure",
            Some("NonZeroExitCode"),
            "command terminated with non-zero exit code: 3",
            Some("3"),
        );
        assert_eq!(outcome_from_status(Some(&s), b""), ExecOutcome::Exited(3));
    }

    #[test]
    fn containerd_internal_error_means_binary_absent() {
        let msg = "Internal error occurred: error executing command in container: failed to exec in container: OCI runtime exec failed: exec failed: unable to start container process: exec: \"ps\": executable file not found in $PATH: unknown";
        let s = status("Failure", Some("InternalError"), msg, None);
        assert_eq!(
            outcome_from_status(Some(&s), b""),
            ExecOutcome::NotFound(msg.into())
        );
    }

    #[test]
    fn docker_126_with_oci_message_means_binary_absent() {
        let s = status("Failure", Some("NonZeroExitCode"), "", Some("126"));
        let out = outcome_from_status(
            Some(&s),
            b"OCI runtime exec failed: exec: \"tar\": executable file not found in $PATH\n",
        );
        assert!(matches!(out, ExecOutcome::NotFound(m) if m.starts_with("exit code 126: OCI")));
        // A 126 without that message is a real exit code.
        assert_eq!(outcome_from_status(Some(&s), b""), ExecOutcome::Exited(126));
    }

    #[test]
    fn other_failures_keep_the_message() {
        let s = status(
            "Failure",
            Some("InternalError"),
            "container is paused",
            None,
        );
        assert_eq!(
            outcome_from_status(Some(&s), b""),
            ExecOutcome::Failed("container is paused".into())
        );
        let s = status("Failure", Some("NonZeroExitCode"), "bad", Some("x"));
        assert_eq!(
            outcome_from_status(Some(&s), b""),
            ExecOutcome::Failed("bad".into())
        );
    }
}
