/**
 * Imported first by bench/run.ts, before any product module builds a logger, a metrics object
 * or an SDK client: the bench's process environment.
 */
// Silence the product's logs and metrics in the timed runs (the bench says so in its report;
// one variant turns them back on, into a null sink, to measure them).
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_DEV = 'false';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// The product's clients resolve region and credentials as in Lambda (environment); these are
// bench-only values: no request ever leaves the process (bench/no-network.ts).
process.env.AWS_REGION = 'eu-west-1';
process.env.AWS_ACCESS_KEY_ID = 'AKIDBENCHONLY';
process.env.AWS_SECRET_ACCESS_KEY = 'bench-only-secret';
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_PROFILE;
delete process.env.AWS_ENDPOINT_URL;

export {};
