using System.Globalization;

namespace Tandem.Simulator;

/// <summary>Kinds of failure the simulator can inject.</summary>
public enum FaultKind
{
    /// <summary>HTTP 500 with an OpenAI error body.</summary>
    Status500,

    /// <summary>HTTP 503 with an OpenAI error body.</summary>
    Status503,

    /// <summary>HTTP 429 with <c>Retry-After</c>.</summary>
    Status429,

    /// <summary>The connection is reset before any response.</summary>
    Reset,

    /// <summary>A stream stops after a few chunks and the connection is cut (non-streaming: cut mid-body).</summary>
    Abort,

    /// <summary>Nothing is sent until the client gives up.</summary>
    Stall,
}

/// <summary>One injected fault with its probability per request.</summary>
public sealed record Fault(FaultKind Kind, double Probability)
{
    /// <summary>Parses <c>500:0.1,503:0.05,429:0.01,reset:0.01,abort:0.01,stall:0.01</c>.</summary>
    public static IReadOnlyList<Fault> ParseList(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var list = new List<Fault>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = item.Split(':', 2);
            var kind = parts[0].ToLowerInvariant() switch
            {
                "500" => FaultKind.Status500,
                "503" => FaultKind.Status503,
                "429" => FaultKind.Status429,
                "reset" => FaultKind.Reset,
                "abort" => FaultKind.Abort,
                "stall" => FaultKind.Stall,
                _ => throw new FormatException($"unknown fault '{parts[0]}' (expected 500, 503, 429, reset, abort or stall)"),
            };
            var p = parts.Length == 2 ? double.Parse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture) : 1.0;
            if (p is < 0 or > 1)
            {
                throw new FormatException($"fault '{item}': probability must be between 0 and 1");
            }

            list.Add(new Fault(kind, p));
        }

        return list;
    }
}

/// <summary>A fixed reply given when a request's messages contain <paramref name="Contains"/> (ordinal match).</summary>
public sealed record ScriptedReply(string Contains, string Reply);

/// <summary>How a simulated upstream behaves. Mutable at run time through <see cref="SimulatorServer.Options"/>.</summary>
public sealed class SimulatorOptions
{
    /// <summary>The clock behind the <c>created</c> timestamps of answers.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>Shutdown dates announced in <c>GET /v1/models</c> (<c>shutdown_date</c>), by model id.</summary>
    public IReadOnlyDictionary<string, DateOnly> ShutdownDates { get; set; } = new Dictionary<string, DateOnly>();

    /// <summary>Model ids it serves; empty accepts any model.</summary>
    public IReadOnlyList<string> Models { get; set; } = [];

    /// <summary>Delay before a non-streamed answer.</summary>
    public Distribution Latency { get; set; } = Distribution.Zero;

    /// <summary>Delay before the first streamed chunk.</summary>
    public Distribution TimeToFirstToken { get; set; } = Distribution.Zero;

    /// <summary>Streamed tokens per second; 0 sends them as fast as possible.</summary>
    public double TokensPerSecond { get; set; }

    /// <summary>Tokens in a generated (non-keyed) answer.</summary>
    public int OutputTokens { get; set; } = 24;

    /// <summary>Tokens sent per streamed chunk.</summary>
    public int TokensPerChunk { get; set; } = 1;

    /// <summary>Injected faults.</summary>
    public IReadOnlyList<Fault> Faults { get; set; } = [];

    /// <summary><c>Retry-After</c> seconds sent with an injected 429.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Seed for all random choices; null draws a random seed.</summary>
    public int? Seed { get; set; }

    /// <summary>Input text → correct answer (e.g. an intent label).</summary>
    public IReadOnlyDictionary<string, string>? Answers { get; set; }

    /// <summary>Share of keyed inputs answered correctly; a wrong answer is another valid label.</summary>
    public double Accuracy { get; set; } = 1.0;

    /// <summary>When false, responses carry no <c>usage</c> (like some self-hosted servers).</summary>
    public bool ReportUsage { get; set; } = true;

    /// <summary>The <c>system_fingerprint</c> reported.</summary>
    public string SystemFingerprint { get; set; } = "fp_tandem_sim";

    /// <summary>Reported model id; null echoes the requested model.</summary>
    public string? ReportedModel { get; set; }

    /// <summary>How many received requests to keep for inspection at <c>/_sim/requests</c> (0 keeps none).</summary>
    public int RecordRequests { get; set; }

    /// <summary>When set, requests must carry <c>Authorization: Bearer</c> this key (or <c>api-key</c>).</summary>
    public string? RequiredApiKey { get; set; }

    /// <summary>
    /// Scripted replies, for acting as an LLM judge (or any fixed-answer upstream): the first rule whose
    /// <see cref="ScriptedReply.Contains"/> occurs in the request's messages (all of them, joined by new lines)
    /// answers with its <see cref="ScriptedReply.Reply"/> verbatim, e.g. a JSON verdict or a deliberately malformed
    /// one. Checked before <see cref="Answers"/>; requests no rule matches are answered as usual.
    /// </summary>
    public IReadOnlyList<ScriptedReply>? JudgeScript { get; set; }

    /// <summary>When true, requests with <c>response_format</c> get HTTP 400, like servers without JSON mode.</summary>
    public bool RejectResponseFormat { get; set; }

    /// <summary>A label shown at <c>/_sim</c> and in logs, e.g. "proprietary (simulated)".</summary>
    public string Label { get; set; } = "simulator";

    /// <summary>
    /// Serve vLLM's runtime LoRA API (<c>POST /v1/load_lora_adapter</c>, <c>/v1/unload_lora_adapter</c>), as vLLM does
    /// with <c>VLLM_ALLOW_RUNTIME_LORA_UPDATING=True</c>; otherwise those endpoints answer 404.
    /// </summary>
    public bool RuntimeLoraUpdating { get; set; }

    /// <summary>These options with another answer key, accuracy and seed: how a loaded adapter answers.</summary>
    internal SimulatorOptions ForAdapter(IReadOnlyDictionary<string, string>? answers, double accuracy, int? seed)
    {
        var copy = (SimulatorOptions)MemberwiseClone();
        copy.Answers = answers;
        copy.Accuracy = accuracy;
        copy.Seed = seed;
        return copy;
    }

    /// <summary>Reads a judge script: JSONL with <c>contains</c>/<c>reply</c> strings per line, in order of precedence.</summary>
    public static IReadOnlyList<ScriptedReply> LoadJudgeScript(string path)
    {
        var list = new List<ScriptedReply>();
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            using var doc = System.Text.Json.JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (!root.TryGetProperty("contains", out var c) || c.ValueKind != System.Text.Json.JsonValueKind.String
                || !root.TryGetProperty("reply", out var r) || r.ValueKind != System.Text.Json.JsonValueKind.String)
            {
                throw new FormatException($"{path}:{lineNo}: expected an object with 'contains' and 'reply' strings");
            }

            list.Add(new ScriptedReply(c.GetString()!, r.GetString()!));
        }

        return list;
    }

    /// <summary>Reads an answers file: JSONL with <c>input</c>/<c>answer</c> (or <c>text</c>/<c>label</c>) per line.</summary>
    public static Dictionary<string, string> LoadAnswers(string path)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            using var doc = System.Text.Json.JsonDocument.Parse(line);
            var root = doc.RootElement;
            string? input = null, answer = null;
            foreach (var name in (string[])["input", "text", "prompt"])
            {
                if (root.TryGetProperty(name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String)
                {
                    input = v.GetString();
                    break;
                }
            }

            foreach (var name in (string[])["answer", "label", "intent", "completion"])
            {
                if (root.TryGetProperty(name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String)
                {
                    answer = v.GetString();
                    break;
                }
            }

            if (input is null || answer is null)
            {
                throw new FormatException($"{path}:{lineNo}: expected an object with 'input' and 'answer' strings");
            }

            map[input.Trim()] = answer;
        }

        return map;
    }
}
