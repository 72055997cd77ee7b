using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Tandem.Simulator;

/// <summary>
/// vLLM's runtime LoRA API: <c>POST /v1/load_lora_adapter</c> (<c>lora_name</c>, <c>lora_path</c>),
/// <c>POST /v1/unload_lora_adapter</c> (<c>lora_name</c>), loaded adapters listed in <c>/v1/models</c> and served as
/// models. An adapter directory must hold PEFT's <c>adapter_config.json</c>; a <c>simulator.json</c> beside it says
/// how the "trained" adapter answers: <c>{"accuracy": 0.95, "answers": "answers.jsonl", "seed": 7}</c> (answers
/// relative to the directory). Without it the adapter answers as the base model does. <c>POST /_sim/restart</c>
/// forgets every runtime-loaded adapter, as a restarted vLLM process does.
/// </summary>
public sealed partial class SimulatorServer
{
    private readonly ConcurrentDictionary<string, LoadedAdapter> _adapters = new(StringComparer.Ordinal);

    private sealed record LoadedAdapter(string Name, string Path, SimulatorOptions Options);

    /// <summary>Names of the adapters loaded now.</summary>
    public IReadOnlyCollection<string> LoadedAdapters => [.. _adapters.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Forgets runtime-loaded adapters, as a restarted server does.</summary>
    public void ForgetAdapters() => _adapters.Clear();

    private void MapLora(WebApplication app)
    {
        app.MapPost("/v1/load_lora_adapter", LoadLoraAsync);
        app.MapPost("/v1/unload_lora_adapter", UnloadLoraAsync);
        app.MapPost("/_sim/restart", ctx =>
        {
            ForgetAdapters();
            ctx.Response.StatusCode = 204;
            return Task.CompletedTask;
        });
    }

    /// <summary>The options a request for <paramref name="model"/> is answered with: a loaded adapter's, else the server's.</summary>
    private SimulatorOptions OptionsFor(string model, SimulatorOptions options, out bool isAdapter)
    {
        isAdapter = _adapters.TryGetValue(model, out var adapter);
        return isAdapter ? adapter!.Options : options;
    }

    private async Task LoadLoraAsync(HttpContext ctx)
    {
        if (!Options.RuntimeLoraUpdating)
        {
            await WriteErrorAsync(ctx, 404, "Not Found", "invalid_request_error", null).ConfigureAwait(false);
            return;
        }

        var (name, path) = await ReadLoraRequestAsync(ctx, needsPath: true).ConfigureAwait(false);
        if (name is null || path is null)
        {
            await WriteErrorAsync(ctx, 400, "Both 'lora_name' and 'lora_path' must be provided.", "BadRequestError", null).ConfigureAwait(false);
            return;
        }

        if (_adapters.ContainsKey(name))
        {
            await WriteErrorAsync(ctx, 400, $"The lora adapter '{name}' has already been loaded.", "InvalidUserInput", null).ConfigureAwait(false);
            return;
        }

        SimulatorOptions behaviour;
        try
        {
            behaviour = ReadAdapter(path, Options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or FormatException)
        {
            await WriteErrorAsync(ctx, 400, $"Loading lora {name} failed: {e.Message}", "BadRequestError", null).ConfigureAwait(false);
            return;
        }

        if (!_adapters.TryAdd(name, new LoadedAdapter(name, path, behaviour)))
        {
            await WriteErrorAsync(ctx, 400, $"The lora adapter '{name}' has already been loaded.", "InvalidUserInput", null).ConfigureAwait(false);
            return;
        }

        ctx.Response.StatusCode = 200;
        await ctx.Response.WriteAsync($"Success: LoRA adapter '{name}' added successfully.", ctx.RequestAborted).ConfigureAwait(false);
    }

    private async Task UnloadLoraAsync(HttpContext ctx)
    {
        if (!Options.RuntimeLoraUpdating)
        {
            await WriteErrorAsync(ctx, 404, "Not Found", "invalid_request_error", null).ConfigureAwait(false);
            return;
        }

        var (name, _) = await ReadLoraRequestAsync(ctx, needsPath: false).ConfigureAwait(false);
        if (name is null)
        {
            await WriteErrorAsync(ctx, 400, "'lora_name' must be provided.", "BadRequestError", null).ConfigureAwait(false);
            return;
        }

        if (!_adapters.TryRemove(name, out _))
        {
            await WriteErrorAsync(ctx, 404, $"The lora adapter '{name}' cannot be found.", "NotFoundError", null).ConfigureAwait(false);
            return;
        }

        ctx.Response.StatusCode = 200;
        await ctx.Response.WriteAsync($"Success: LoRA adapter '{name}' removed successfully.", ctx.RequestAborted).ConfigureAwait(false);
    }

    private static async Task<(string? Name, string? Path)> ReadLoraRequestAsync(HttpContext ctx, bool needsPath)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted).ConfigureAwait(false);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            string? Str(string p) => root.TryGetProperty(p, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;
            return (Str("lora_name"), needsPath ? Str("lora_path") : null);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>Reads an adapter directory: PEFT's <c>adapter_config.json</c> must be there; <c>simulator.json</c> says how it answers.</summary>
    private static SimulatorOptions ReadAdapter(string path, SimulatorOptions server)
    {
        var config = System.IO.Path.Combine(path, "adapter_config.json");
        if (!File.Exists(config))
        {
            throw new FileNotFoundException($"No adapter found for {path} (no adapter_config.json)");
        }

        using (var peft = JsonDocument.Parse(File.ReadAllBytes(config)))
        {
            if (peft.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"{config} is not a JSON object");
            }
        }

        var behaviourFile = System.IO.Path.Combine(path, "simulator.json");
        if (!File.Exists(behaviourFile))
        {
            return server;
        }

        using var doc = JsonDocument.Parse(File.ReadAllBytes(behaviourFile));
        var root = doc.RootElement;
        var accuracy = root.TryGetProperty("accuracy", out var a) && a.ValueKind == JsonValueKind.Number ? a.GetDouble() : server.Accuracy;
        if (accuracy is < 0 or > 1)
        {
            throw new FormatException($"{behaviourFile}: accuracy must be between 0 and 1, not {accuracy.ToString(CultureInfo.InvariantCulture)}");
        }

        var answers = root.TryGetProperty("answers", out var ans) && ans.ValueKind == JsonValueKind.String
            ? SimulatorOptions.LoadAnswers(System.IO.Path.Combine(path, ans.GetString()!))
            : server.Answers;
        int? seed = root.TryGetProperty("seed", out var sd) && sd.ValueKind == JsonValueKind.Number ? sd.GetInt32() : server.Seed;
        return server.ForAdapter(answers, accuracy, seed);
    }
}
