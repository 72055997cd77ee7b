using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Spectre.Console;

namespace Tandem.Cli.Commands;

/// <summary>
/// The options and one HTTP call shared by the commands that talk to a running gateway's admin API
/// (<c>tandem keys create|list|show|rotate|revoke</c>, <c>tandem audit list</c>).
/// </summary>
internal sealed class AdminApi
{
    public Option<string> Gateway { get; } = new("--gateway") { Description = "Gateway base URL (default: $TANDEM_URL, else http://127.0.0.1:8080)" };

    public Option<string> KeyEnv { get; } = new("--admin-key-env") { Description = "Environment variable holding the admin key", DefaultValueFactory = _ => "TANDEM_ADMIN_KEY" };

    public Option<string> Format { get; } = new("--format") { Description = "table or json", DefaultValueFactory = _ => "table" };

    public void AddTo(Command command)
    {
        command.Options.Add(Gateway);
        command.Options.Add(KeyEnv);
        command.Options.Add(Format);
    }

    /// <summary>Sends one request; on success hands the answer to <paramref name="render"/> (or prints it as JSON). Exit codes: 0 ok, 1 refused, 2 not sent.</summary>
    public async Task<int> SendAsync(ParseResult parse, string command, HttpMethod method, string path, string? body, Action<IAnsiConsole, JsonElement> render, CancellationToken cancellationToken)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        var baseUrl = parse.GetValue(Gateway) ?? Environment.GetEnvironmentVariable("TANDEM_URL") ?? "http://127.0.0.1:8080";
        var key = Environment.GetEnvironmentVariable(parse.GetValue(KeyEnv)!);
        if (string.IsNullOrEmpty(key))
        {
            await error.WriteLineAsync($"tandem {command}: set the admin key in ${parse.GetValue(KeyEnv)}").ConfigureAwait(false);
            return 2;
        }

        using var http = new HttpClient { BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            await error.WriteLineAsync($"tandem {command}: cannot reach {baseUrl}: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(text);
            }
            catch (JsonException)
            {
                await error.WriteLineAsync($"tandem {command}: {(int)response.StatusCode} {text}").ConfigureAwait(false);
                return 1;
            }

            using (doc)
            {
                if (!response.IsSuccessStatusCode)
                {
                    var message = doc.RootElement.TryGetProperty("error", out var e) ? e.GetProperty("message").GetString() : text;
                    await error.WriteLineAsync($"tandem {command}: {message}").ConfigureAwait(false);
                    return 1;
                }

                if (parse.GetValue(Format) == "json")
                {
                    await output.WriteLineAsync(text).ConfigureAwait(false);
                    return 0;
                }

                var redirected = !ReferenceEquals(output, Console.Out) || Console.IsOutputRedirected;
                var console = AnsiConsole.Create(new AnsiConsoleSettings
                {
                    Out = new AnsiConsoleOutput(output),
                    Interactive = InteractionSupport.No,
                    Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
                    ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
                });
                if (redirected)
                {
                    console.Profile.Width = 200;
                }

                render(console, doc.RootElement);
                return 0;
            }
        }
    }

    /// <summary>A JSON object written with <see cref="Utf8JsonWriter"/> (no reflection).</summary>
    public static string Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static string Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
}
