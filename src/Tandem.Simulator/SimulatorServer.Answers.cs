using System.Buffers;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;

namespace Tandem.Simulator;

/// <summary>What the simulator answers: scripted judge replies, tool calls, keyed answers of a chosen accuracy, or generated text.</summary>
public sealed partial class SimulatorServer
{
    private readonly record struct Reply(string? Text, string? ToolName, string? ToolArguments, int CompletionTokens);

    private Reply Answer(JsonElement root, SimulatorOptions options)
    {
        var lastRole = "";
        var lastUser = "";
        var promptChars = 0;
        var allText = options.JudgeScript is { Count: > 0 } ? new StringBuilder() : null;
        if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                var role = message.TryGetProperty("role", out var r) ? r.GetString() ?? "" : "";
                var text = TextOf(message);
                promptChars += text.Length;
                lastRole = role;
                if (role == "user")
                {
                    lastUser = text;
                }

                allText?.Append(text).Append('\n');
            }
        }

        if (allText is not null)
        {
            var prompt = allText.ToString();
            foreach (var rule in options.JudgeScript!)
            {
                if (prompt.Contains(rule.Contains, StringComparison.Ordinal))
                {
                    return new Reply(rule.Reply, null, null, Math.Max(1, CountWords(rule.Reply)));
                }
            }
        }

        // Tools: call the first declared function unless the conversation already holds its result.
        if (lastRole != "tool" && root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0)
        {
            var function = tools[0].TryGetProperty("function", out var f) ? f : default;
            var name = function.ValueKind == JsonValueKind.Object && function.TryGetProperty("name", out var n) ? n.GetString() ?? "tool" : "tool";
            var args = ArgumentsFor(function);
            return new Reply(null, name, args, Math.Max(1, args.Length / 4));
        }

        if (lastRole == "tool")
        {
            var text = "The tool returned its result, and here is the answer based on it.";
            return new Reply(text, null, null, CountWords(text));
        }

        var keyed = Keyed(lastUser.Trim(), options);
        if (keyed is not null)
        {
            return new Reply(keyed, null, null, Math.Max(1, CountWords(keyed)));
        }

        var sb = new StringBuilder();
        var seed = (int)XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(lastUser));
        for (var i = 0; i < options.OutputTokens; i++)
        {
            if (i > 0)
            {
                sb.Append(' ');
            }

            sb.Append(Words[(int)((uint)(seed + (i * 7919)) % Words.Length)]);
        }

        if (options.OutputTokens > 0)
        {
            sb.Append('.');
        }

        return new Reply(sb.ToString(), null, null, options.OutputTokens);
    }

    /// <summary>
    /// Looks the last user message up in the answers file: first the whole message (trimmed), then each of its lines
    /// (trimmed), then on each line the text after its first colon (so <c>Text: I lost my card</c> matches the input
    /// <c>I lost my card</c>). Matching is exact and case-sensitive.
    /// </summary>
    private string? Keyed(string input, SimulatorOptions options)
    {
        var answers = options.Answers;
        if (answers is null || answers.Count == 0)
        {
            return null;
        }

        if (!answers.TryGetValue(input, out var correct))
        {
            // A prompt template may wrap the input: look for it on a line of its own.
            foreach (var line in input.Split('\n'))
            {
                var l = line.Trim();
                if (answers.TryGetValue(l, out correct))
                {
                    input = l;
                    break;
                }

                var colon = l.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && answers.TryGetValue(l[(colon + 1)..].Trim(), out correct))
                {
                    input = l[(colon + 1)..].Trim();
                    break;
                }
            }

            if (correct is null)
            {
                // The answers file has no entry for this input: it gets a generated answer, and the miss is counted
                // (GET /_sim answers_unmatched), since an eval against it would otherwise look merely inaccurate.
                Stats.OnAnswer(matched: false);
                return null;
            }
        }

        Stats.OnAnswer(matched: true);

        // Correctness is a pure function of (seed, input): the same input always gets the same answer, so
        // repeated or shadowed calls agree with themselves and accuracy is measurable against ground truth.
        var labels = LabelsOf(answers);
        var h = Hash(input, options.Seed ?? 0);
        var u = (h & 0xFFFFFF) / (double)0x1000000;
        if (u < options.Accuracy || labels.Length < 2)
        {
            return correct;
        }

        var pick = (int)((h >> 24) % (ulong)(labels.Length - 1));
        var wrong = labels[pick];
        return wrong == correct ? labels[labels.Length - 1] : wrong;
    }

    private string[] LabelsOf(IReadOnlyDictionary<string, string> answers)
    {
        if (!ReferenceEquals(_labelsFor, answers))
        {
            var labels = answers.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            _labels = labels;
            _labelsFor = answers;
        }

        return _labels;
    }

    private static ulong Hash(string input, int seed)
    {
        var bytes = Encoding.UTF8.GetBytes(input);
        return XxHash64.HashToUInt64(bytes, seed);
    }

    private static string ArgumentsFor(JsonElement function)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (function.ValueKind == JsonValueKind.Object
                && function.TryGetProperty("parameters", out var p)
                && p.ValueKind == JsonValueKind.Object
                && p.TryGetProperty("properties", out var props)
                && props.ValueKind == JsonValueKind.Object)
            {
                foreach (var prop in props.EnumerateObject())
                {
                    var type = prop.Value.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : "string";
                    switch (type)
                    {
                        case "integer" or "number":
                            w.WriteNumber(prop.Name, 1);
                            break;
                        case "boolean":
                            w.WriteBoolean(prop.Name, true);
                            break;
                        case "array":
                            w.WriteStartArray(prop.Name);
                            w.WriteEndArray();
                            break;
                        case "object":
                            w.WriteStartObject(prop.Name);
                            w.WriteEndObject();
                            break;
                        default:
                            w.WriteString(prop.Name, prop.Value.TryGetProperty("enum", out var e) && e.ValueKind == JsonValueKind.Array && e.GetArrayLength() > 0 ? e[0].ToString() : "simulated");
                            break;
                    }
                }
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string TextOf(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return "";
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString() ?? "";
        }

        if (content.ValueKind == JsonValueKind.Array)
        {
            var sb = new StringBuilder();
            foreach (var part in content.EnumerateArray())
            {
                if (part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                {
                    sb.Append(t.GetString());
                }
            }

            return sb.ToString();
        }

        return "";
    }

    private static int CountWords(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

    private static int PromptTokens(JsonElement root)
    {
        var chars = 0;
        if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                chars += TextOf(message).Length + 16;
            }
        }
        else if (root.TryGetProperty("prompt", out var prompt))
        {
            chars += prompt.ToString().Length;
        }

        return Math.Max(1, (chars + 3) / 4);
    }
}
