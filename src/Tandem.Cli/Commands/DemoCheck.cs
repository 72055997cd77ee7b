using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Tandem.Cli.Commands;

/// <summary><c>tandem demo --once</c>: one chat request per demo route through the running gateway, answers printed.</summary>
internal static class DemoCheck
{
    private static readonly string[] Routes = ["intent", "support-chat"];

    /// <summary>True when every route answered 200 with a message.</summary>
    public static async Task<bool> RunAsync(Uri gateway, TextWriter output, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = gateway, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sk-tandem-demo");
        var ok = true;
        foreach (var route in Routes)
        {
            var body = "{\"model\":\"" + route + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello from tandem demo --once\"}]}";
            using var response = await http.PostAsync(new Uri("v1/chat/completions", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"), cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            string? answer = null;
            string? deployment = response.Headers.TryGetValues("x-tandem-deployment", out var d) ? d.FirstOrDefault() : null;
            if (response.IsSuccessStatusCode)
            {
                try
                {
                    using var json = JsonDocument.Parse(text);
                    answer = json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
                }
                catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
                {
                }
            }

            if (answer is null)
            {
                ok = false;
                await output.WriteLineAsync($"{route}: HTTP {(int)response.StatusCode}: {text}").ConfigureAwait(false);
                continue;
            }

            var shown = answer.Length > 60 ? answer[..60] + "…" : answer;
            await output.WriteLineAsync($"{route}: 200 from {deployment ?? "?"}: {shown}").ConfigureAwait(false);
        }

        await output.WriteLineAsync(ok ? "demo: every route answered" : "demo: a route did not answer").ConfigureAwait(false);
        return ok;
    }
}
