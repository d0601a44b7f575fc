//! Inputs that AWS delivers: S3 objects ([`s3`]) and CloudWatch Logs groups
//! ([`cloudwatch`]), through the official SDK.
//!
//! Owns: one [`AwsContext`] per run — a small tokio runtime for the SDK's network work and
//! the configuration loaded the way every AWS tool loads it (environment, shared config and
//! credentials files with a profile, SSO, web identity, container and instance metadata),
//! plus `--region` and `--endpoint-url` (or `AWS_ENDPOINT_URL`; S3 then uses path-style
//! addressing). Errors become one line of text naming what failed (`NoSuchBucket: …`,
//! `AccessDenied: …`, `no AWS credentials …`), escaped for the terminal.
//!
//! Never: prints or keeps a secret: credentials stay inside the SDK, and no URL or header of
//! a signed request is part of any message.

pub mod cloudwatch;
pub mod s3;

use std::io;
use std::sync::Arc;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

/// How to reach AWS, as the user asked on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    /// A named profile of the shared config and credentials files (`--profile`).
    pub profile: Option<String>,
    /// The region (`--region`); otherwise the standard chain's.
    pub region: Option<String>,
    /// Another endpoint (`--endpoint-url`): an S3-compatible store, a local test server.
    pub endpoint_url: Option<String>,
}

/// The SDK's runtime and configuration, shared by every AWS input of a run.
pub struct AwsContext {
    runtime: tokio::runtime::Runtime,
    config: SdkConfig,
}

impl std::fmt::Debug for AwsContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsContext")
            .field("region", &self.config.region())
            .finish_non_exhaustive()
    }
}

/// Attempts per request: throttling (`SlowDown`, `ThrottlingException`) and transient errors
/// are retried with exponential backoff and jitter up to this many times in all.
pub const MAX_ATTEMPTS: u32 = 6;

/// Error codes that mean "too many requests": the message says they were retried.
const THROTTLED: &[&str] = &[
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
];

/// The region S3 is asked in when the standard chain names none (bucket listings then
/// still work for buckets there, and the error says to pass `--region` otherwise).
const FALLBACK_REGION: &str = "us-east-1";

impl AwsContext {
    /// Loads the configuration (this reads files and the environment, not the network:
    /// credentials are fetched on first use).
    pub fn new(settings: &AwsSettings) -> io::Result<Arc<AwsContext>> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("vpctop-aws")
            .enable_all()
            .build()?;
        use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .retry_config(
                aws_config::retry::RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS),
            );
        if let Some(p) = &settings.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &settings.region {
            loader = loader.region(Region::new(r.clone()));
        }
        if let Some(e) = &settings.endpoint_url {
            loader = loader.endpoint_url(e);
        }
        let mut config = runtime.block_on(loader.load());
        if config.region().is_none() {
            config = config
                .into_builder()
                .region(Region::new(FALLBACK_REGION))
                .build();
        }
        Ok(Arc::new(AwsContext { runtime, config }))
    }

    /// Runs `future` to its end on the SDK's runtime (from any thread that is not one of
    /// the runtime's own).
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// An S3 client; path-style addressing when another endpoint was given.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let path_style = self.config.endpoint_url().is_some();
        let config = aws_sdk_s3::config::Builder::from(&self.config)
            .force_path_style(path_style)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// A CloudWatch Logs client.
    pub fn logs(&self) -> aws_sdk_cloudwatchlogs::Client {
        aws_sdk_cloudwatchlogs::Client::new(&self.config)
    }
}

/// An error and its sources, each as it displays itself, joined by `: ` (the SDK's own
/// rendering ends with a debug dump).
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(e) = next {
        let part = e.to_string();
        if !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        next = e.source();
    }
    text
}

/// An answer the SDK could not read as the service's error (a server or proxy speaking
/// another dialect): its HTTP status, and the code and message if the body has them in XML
/// or JSON, otherwise the body's first bytes.
fn unparsed_answer(raw: &HttpResponse) -> String {
    let status = raw.status().as_u16();
    let body = raw.body().bytes().unwrap_or_default();
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]).into_owned();
    let between = |open: &str, close: &str| {
        let from = text.find(open)? + open.len();
        let to = from + text[from..].find(close)?;
        Some(text[from..to].trim().to_string())
    };
    let code = between("<Code>", "</Code>").or_else(|| between("\"__type\":\"", "\""));
    let message = between("<Message>", "</Message>")
        .or_else(|| between("\"message\":\"", "\""))
        .or_else(|| between("\"Message\":\"", "\""));
    match (code, message) {
        (Some(code), Some(message)) => format!("{code}: {message} (HTTP {status})"),
        (Some(code), None) => format!("{code} (HTTP {status})"),
        _ => {
            let start: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let start: String = start.chars().take(120).collect();
            format!("HTTP {status} that is not an AWS error answer: {start}")
        }
    }
}

/// One line saying why an SDK call failed: the service's code and message when it answered,
/// otherwise what kept the request from being made or answered. Escaped for the terminal.
pub fn describe<E>(err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let text = match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let throttled = e.code().is_some_and(|c| THROTTLED.contains(&c));
            let text = match (e.code(), e.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_string(),
                _ => unparsed_answer(service.raw()),
            };
            if throttled {
                format!(
                    "{text} (throttled: retried with backoff, gave up after {MAX_ATTEMPTS} attempts)"
                )
            } else {
                text
            }
        }
        SdkError::TimeoutError(_) => "the request timed out".to_string(),
        SdkError::DispatchFailure(d) if d.is_io() || d.is_timeout() => {
            format!("could not reach the endpoint: {}", chain(err))
        }
        other => {
            let text = chain(other);
            if text.contains("no credentials") || text.contains("NoCredentials") {
                "no AWS credentials found (environment, ~/.aws/credentials, --profile, SSO, \
                 instance or container role)"
                    .to_string()
            } else {
                text
            }
        }
    };
    crate::sanitize::escape(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::config::http::HttpResponse;
    use aws_sdk_s3::error::ErrorMetadata;
    use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Error;
    use aws_sdk_s3::primitives::SdkBody;

    fn service_error(code: &str, message: &str) -> SdkError<ListObjectsV2Error, HttpResponse> {
        let meta = ErrorMetadata::builder().code(code).message(message).build();
        let raw = HttpResponse::new(503.try_into().unwrap(), SdkBody::empty());
        SdkError::service_error(ListObjectsV2Error::generic(meta), raw)
    }

    fn unreadable(status: u16, body: &str) -> SdkError<ListObjectsV2Error, HttpResponse> {
        let meta = ErrorMetadata::builder().build();
        let raw = HttpResponse::new(status.try_into().unwrap(), SdkBody::from(body.to_string()));
        SdkError::service_error(ListObjectsV2Error::generic(meta), raw)
    }

    #[test]
    fn an_answer_the_sdk_cannot_read_is_its_status_and_what_it_says_in_one_line() {
        let xml = unreadable(
            403,
            "<?xml version=\"1.0\"?>\n<ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code>\
             <Message>The security token included in the request is invalid.</Message></Error>\
             </Errors></ErrorResponse>",
        );
        assert_eq!(
            describe(&xml),
            "InvalidClientTokenId: The security token included in the request is invalid. (HTTP 403)"
        );
        let json = unreadable(
            400,
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
        );
        assert_eq!(
            describe(&json),
            "ThrottlingException: Rate exceeded (HTTP 400)"
        );
        let html = unreadable(502, "<html>\n<body>Bad gateway \x1b[31m</body></html>");
        let text = describe(&html);
        assert!(
            text.starts_with("HTTP 502 that is not an AWS error answer: <html>"),
            "{text}"
        );
        assert!(!text.contains('\x1b') && !text.contains('\n'), "{text}");
    }

    #[test]
    fn a_service_error_is_its_code_and_message_and_throttling_says_it_was_retried() {
        let denied = service_error("AccessDenied", "Access Denied");
        assert_eq!(describe(&denied), "AccessDenied: Access Denied");
        let slow = service_error("SlowDown", "Please reduce your request rate.");
        let text = describe(&slow);
        assert!(
            text.starts_with("SlowDown: Please reduce your request rate."),
            "{text}"
        );
        assert!(text.contains("retried with backoff"), "{text}");
        assert!(text.contains(&MAX_ATTEMPTS.to_string()), "{text}");
    }

    #[test]
    fn text_from_the_server_is_escaped() {
        let hostile = service_error("AccessDenied", "no\x1b[2J way");
        assert!(!describe(&hostile).contains('\x1b'));
    }
}
