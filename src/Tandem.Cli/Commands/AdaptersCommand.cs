using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Tandem.Cli.Commands;

/// <summary>
/// <c>tandem adapters register|unregister|list</c>: LoRA adapters on a vLLM provider, through the gateway's admin API
/// (exit 0 done, 1 refused by the gateway, 2 usage error or gateway unreachable).
/// </summary>
internal static class AdaptersCommand
{
    public static Command Create()
    {
        var gateway = new Option<string>("--gateway") { Description = "Gateway base URL (default: $TANDEM_URL, else http://127.0.0.1:8080)" };
        var keyEnv = new Option<string>("--admin-key-env") { Description = "Environment variable holding the admin key", DefaultValueFactory = _ => "TANDEM_ADMIN_KEY" };

        var name = new Argument<string>("name") { Description = "Adapter name: the model id the provider serves it under (intent-v3)" };
        var baseDeployment = new Option<string>("--base") { Description = "The base deployment whose provider (vLLM) loads the adapter", Required = true };
        var path = new Option<string>("--path") { Description = "The PEFT adapter directory, as the vLLM server sees it", Required = true };
        var dataset = new Option<string?>("--dataset") { Description = "The dataset it was trained on (the dataset card's id or path), kept with it" };
        var eval = new Option<string?>("--eval") { Description = "The eval it was accepted with (a report path or summary), kept with it" };
        var register = new Command("register", "Load a LoRA adapter onto every replica of the base deployment's provider and serve it as deployment BASE+NAME.")
        {
            name, baseDeployment, path, dataset, eval, gateway, keyEnv,
        };
        register.SetAction((parse, ct) =>
        {
            using (var buffer = new MemoryStream())
            {
                using (var w = new Utf8JsonWriter(buffer))
                {
                    w.WriteStartObject();
                    w.WriteString("name", parse.GetValue(name));
                    w.WriteString("base", parse.GetValue(baseDeployment));
                    w.WriteString("path", parse.GetValue(path));
                    if (parse.GetValue(dataset) is { } d)
                    {
                        w.WriteString("dataset", d);
                    }

                    if (parse.GetValue(eval) is { } e)
                    {
                        w.WriteString("eval", e);
                    }

                    w.WriteEndObject();
                }

                return SendAsync(parse, gateway, keyEnv, HttpMethod.Post, "admin/adapters", Encoding.UTF8.GetString(buffer.ToArray()), Describe, ct);
            }
        });

        var unregisterName = new Argument<string>("name") { Description = "Adapter name" };
        var unregister = new Command("unregister", "Unload an adapter from its provider and remove its deployment (refused while a route serves it).") { unregisterName, gateway, keyEnv };
        unregister.SetAction((parse, ct) => SendAsync(parse, gateway, keyEnv, HttpMethod.Delete, "admin/adapters/" + Uri.EscapeDataString(parse.GetValue(unregisterName)!), null,
            static (root, output) => output.WriteLine($"unregistered {root.GetProperty("name").GetString()}"), ct));

        var format = new Option<string>("--format") { Description = "table or json", DefaultValueFactory = _ => "table" };
        var list = new Command("list", "Each registered adapter with its deployment, dataset, eval, replicas and routes.") { gateway, keyEnv, format };
        list.SetAction((parse, ct) => SendAsync(parse, gateway, keyEnv, HttpMethod.Get, "admin/adapters", null, parse.GetValue(format) == "json"
            ? static (root, output) => output.WriteLine(root.GetRawText())
            : static (root, output) =>
            {
                foreach (var a in root.GetProperty("adapters").EnumerateArray())
                {
                    Describe(a, output);
                }
            }, ct));

        return new Command("adapters", "Register, list and unregister LoRA adapters served by vLLM providers.") { register, unregister, list };
    }

    private static void Describe(JsonElement a, TextWriter output)
    {
        var replicas = a.GetProperty("replicas").EnumerateArray()
            .Select(r => r.GetProperty("url").GetString() + (r.GetProperty("loaded").GetBoolean() ? " (loaded)" : " (NOT loaded: " + r.GetProperty("error").GetString() + ")"));
        var routes = a.GetProperty("routes").EnumerateArray().Select(r => r.GetString()).ToList();
        output.WriteLine($"{a.GetProperty("deployment").GetString()}  adapter {a.GetProperty("name").GetString()} on {a.GetProperty("base").GetString()}, path {a.GetProperty("path").GetString()}");
        output.WriteLine($"  dataset: {Text(a, "dataset")}; eval: {Text(a, "eval")}; registered {a.GetProperty("registered_at").GetString()}");
        output.WriteLine($"  replicas: {string.Join(", ", replicas)}");
        output.WriteLine($"  routes: {(routes.Count == 0 ? "none" : string.Join(", ", routes))}");
    }

    private static string Text(JsonElement a, string name) => a.GetProperty(name).ValueKind == JsonValueKind.String ? a.GetProperty(name).GetString()! : "-";

    private static async Task<int> SendAsync(ParseResult parse, Option<string> gatewayOption, Option<string> keyEnvOption, HttpMethod method, string path, string? body,
        Action<JsonElement, TextWriter> print, CancellationToken cancellationToken)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        var baseUrl = parse.GetValue(gatewayOption) ?? Environment.GetEnvironmentVariable("TANDEM_URL") ?? "http://127.0.0.1:8080";
        var key = Environment.GetEnvironmentVariable(parse.GetValue(keyEnvOption)!);
        if (string.IsNullOrEmpty(key))
        {
            await error.WriteLineAsync($"tandem adapters: set the admin key in ${parse.GetValue(keyEnvOption)}").ConfigureAwait(false);
            return 2;
        }

        using var http = new HttpClient { BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        try
        {
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            using var doc = JsonDocument.Parse(text);
            if (!response.IsSuccessStatusCode)
            {
                var message = doc.RootElement.TryGetProperty("error", out var e) ? e.GetProperty("message").GetString() : text;
                await error.WriteLineAsync($"tandem adapters: {message}").ConfigureAwait(false);
                return 1;
            }

            print(doc.RootElement, output);
            return 0;
        }
        catch (HttpRequestException e)
        {
            await error.WriteLineAsync($"tandem adapters: cannot reach {baseUrl}: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (JsonException)
        {
            await error.WriteLineAsync($"tandem adapters: {baseUrl} did not answer with JSON (is it a Tandem gateway?)").ConfigureAwait(false);
            return 2;
        }
    }
}
