using System.CommandLine;
using Tandem.Simulator;

namespace Tandem.Cli.Commands;

internal static class SimulateCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "Listen address", DefaultValueFactory = _ => "http://127.0.0.1:9100" };
        var models = new Option<string?>("--models") { Description = "Comma-separated model ids to serve (default: any)" };
        var latency = new Option<string>("--latency") { Description = "Delay before a non-streamed answer: 20ms | uniform:10ms-30ms | normal:20ms,5ms", DefaultValueFactory = _ => "0ms" };
        var ttft = new Option<string>("--ttft") { Description = "Delay before the first streamed chunk (same forms as --latency)", DefaultValueFactory = _ => "0ms" };
        var tps = new Option<double>("--tps") { Description = "Streamed tokens per second (0: as fast as possible)" };
        var outputTokens = new Option<int>("--output-tokens") { Description = "Tokens in a generated answer", DefaultValueFactory = _ => 24 };
        var chunkTokens = new Option<int>("--chunk-tokens") { Description = "Tokens per streamed chunk", DefaultValueFactory = _ => 1 };
        var errors = new Option<string?>("--errors") { Description = "Injected faults with probabilities: 500:0.1,503:0.05,429:0.01,reset:0.01,abort:0.01,stall:0.01" };
        var retryAfter = new Option<int>("--retry-after") { Description = "Retry-After seconds on injected 429s", DefaultValueFactory = _ => 1 };
        var seed = new Option<int?>("--seed") { Description = "Seed for deterministic behaviour" };
        var answers = new Option<string?>("--answers") { Description = "JSONL file of {\"input\":…,\"answer\":…}: answer keyed inputs (e.g. intent labels)" };
        var accuracy = new Option<double>("--accuracy") { Description = "Share of keyed inputs answered correctly (a wrong answer is another valid label)", DefaultValueFactory = _ => 1.0 };
        var judgeScript = new Option<string?>("--judge-script") { Description = "JSONL file of {\"contains\":…,\"reply\":…}: fixed replies (e.g. judge verdicts) for prompts containing a text" };
        var noUsage = new Option<bool>("--no-usage") { Description = "Omit usage from responses, like some self-hosted servers" };
        var fingerprint = new Option<string>("--fingerprint") { Description = "system_fingerprint to report", DefaultValueFactory = _ => "fp_tandem_sim" };
        var record = new Option<int>("--record") { Description = "Keep the last N requests for GET /_sim/requests" };
        var runtimeLora = new Option<bool>("--allow-runtime-lora") { Description = "Serve vLLM's runtime LoRA API (load_lora_adapter, unload_lora_adapter), as VLLM_ALLOW_RUNTIME_LORA_UPDATING=True does" };
        var label = new Option<string>("--label") { Description = "A label for this simulator", DefaultValueFactory = _ => "simulator" };
        var protocol = new Option<string>("--protocol") { Description = "Protocol to advertise (every protocol is served at once): openai | anthropic | gemini | sagemaker | bedrock", DefaultValueFactory = _ => "openai" };
        protocol.AcceptOnlyFromAmong("openai", "anthropic", "gemini", "sagemaker", "bedrock");
        var serviceAccountKey = new Option<string?>("--service-account-key") { Description = "Write a Vertex AI service account key file (its token_uri is this simulator) to this path" };
        var awsKey = new Option<string>("--aws-access-key-id") { Description = "Access key the SageMaker/Bedrock endpoints accept (SigV4 verified)", DefaultValueFactory = _ => AwsSimulatorOptions.ExampleAccessKeyId };
        var awsSecretEnv = new Option<string?>("--aws-secret-env") { Description = "Environment variable holding the secret key for --aws-access-key-id (default: the simulator's example secret)" };
        var awsRegion = new Option<string?>("--aws-region") { Description = "Region signatures must be scoped to (default: any)" };
        var command = new Command("simulate", "Run an OpenAI-compatible upstream SIMULATOR for tests, demos and load tests (generated answers, not a model).")
        {
            urls, models, latency, ttft, tps, outputTokens, chunkTokens, errors, retryAfter, seed, answers, accuracy, judgeScript, noUsage, fingerprint, record, label, runtimeLora,
            protocol, serviceAccountKey, awsKey, awsSecretEnv, awsRegion,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            SimulatorOptions options;
            try
            {
                options = new SimulatorOptions
                {
                    Models = parse.GetValue(models)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [],
                    Latency = Distribution.Parse(parse.GetValue(latency)!),
                    TimeToFirstToken = Distribution.Parse(parse.GetValue(ttft)!),
                    TokensPerSecond = parse.GetValue(tps),
                    OutputTokens = parse.GetValue(outputTokens),
                    TokensPerChunk = parse.GetValue(chunkTokens),
                    Faults = Fault.ParseList(parse.GetValue(errors)),
                    RetryAfterSeconds = parse.GetValue(retryAfter),
                    Seed = parse.GetValue(seed),
                    Answers = parse.GetValue(answers) is { } file ? SimulatorOptions.LoadAnswers(file) : null,
                    Accuracy = parse.GetValue(accuracy),
                    JudgeScript = parse.GetValue(judgeScript) is { } script ? SimulatorOptions.LoadJudgeScript(script) : null,
                    ReportUsage = !parse.GetValue(noUsage),
                    SystemFingerprint = parse.GetValue(fingerprint)!,
                    RecordRequests = parse.GetValue(record),
                    Label = parse.GetValue(label)!,
                    RuntimeLoraUpdating = parse.GetValue(runtimeLora),
                };
            }
            catch (Exception e) when (e is FormatException or IOException or System.Text.Json.JsonException)
            {
                await Console.Error.WriteLineAsync("tandem simulate: " + e.Message).ConfigureAwait(false);
                return 2;
            }

            var secret = parse.GetValue(awsSecretEnv) is { } secretEnv ? Environment.GetEnvironmentVariable(secretEnv) : AwsSimulatorOptions.ExampleSecretAccessKey;
            if (string.IsNullOrEmpty(secret))
            {
                await Console.Error.WriteLineAsync($"tandem simulate: environment variable '{parse.GetValue(awsSecretEnv)}' is not set").ConfigureAwait(false);
                return 2;
            }

            await using var sim = await SimulatorServer.StartAsync(options, parse.GetValue(urls)!, cancellationToken: cancellationToken).ConfigureAwait(false);
            sim.Aws.Credentials = new Dictionary<string, (string, string?)> { [parse.GetValue(awsKey)!] = (secret, null) };
            sim.Aws.Region = parse.GetValue(awsRegion);
            var advertised = parse.GetValue(protocol)!;
            await Console.Out.WriteLineAsync(Banner(advertised, options.Label, sim, parse.GetValue(awsKey)!)).ConfigureAwait(false);
            if (parse.GetValue(serviceAccountKey) is { } keyFile)
            {
                var email = sim.WriteServiceAccountKey(keyFile);
                await Console.Out.WriteLineAsync($"  Vertex AI service account {email}: key written to {keyFile}").ConfigureAwait(false);
            }

            if (advertised is not ("sagemaker" or "bedrock"))
            {
                await Console.Out.WriteLineAsync(ProviderHint(advertised, sim, parse.GetValue(serviceAccountKey) is not null)).ConfigureAwait(false);
            }
            try
            {
                await sim.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            return 0;
        });
        return command;
    }

    /// <summary>The provider lines of a Tandem configuration that point at the simulator in <paramref name="protocol"/>.</summary>
    internal static string ProviderHint(string protocol, SimulatorServer sim, bool vertex) => protocol switch
    {
        "anthropic" => $"  provider: {{ type: anthropic, base_url: {sim.V1} }}   (POST /v1/messages)",
        "gemini" when vertex => $"  provider: {{ type: gemini, base_url: {sim.BaseAddress}v1, gemini: {{ vertex: {{ project: simulated-project, location: us-central1, credentials_env: GOOGLE_APPLICATION_CREDENTIALS }} }} }}",
        "gemini" => $"  provider: {{ type: gemini, base_url: {sim.BaseAddress}v1beta }}   (/models/{{model}}:generateContent)",
        _ => $"  provider: {{ type: openai, base_url: {sim.V1} }}",
    };

    /// <summary>What a user needs to point a provider at the simulator for the protocol they asked about.</summary>
    internal static string Banner(string protocol, string label, SimulatorServer sim, string awsKey)
    {
        var baseUrl = sim.BaseAddress.ToString().TrimEnd('/');
        return protocol switch
        {
            "sagemaker" => $"Tandem SIMULATOR '{label}' serving the SageMaker runtime at {baseUrl} (POST /endpoints/NAME/invocations[-response-stream]; "
                + $"SigV4 verified for access key {awsKey}, service sagemaker) (generated answers, not a model)",
            "bedrock" => $"Tandem SIMULATOR '{label}' serving the Bedrock runtime at {baseUrl} (POST /model/MODEL/converse[-stream]; "
                + $"SigV4 verified for access key {awsKey}, service bedrock) (generated answers, not a model)",
            _ => $"Tandem SIMULATOR '{label}' listening on {sim.V1} (generated answers, not a model)",
        };
    }
}
