using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Tandem.Runtime;

namespace Tandem.Cli.Commands;

/// <summary>
/// <c>tandem keys</c>: <c>hash</c> (offline, for key_sha256 in the configuration) and the virtual keys of a running
/// gateway through its admin API: <c>create</c>, <c>list</c>, <c>show</c>, <c>rotate</c>, <c>revoke</c>. Talking to the
/// gateway rather than to its database means the change is in force on that instance at once, is audited under the
/// admin key that made it, and needs no database credentials on the operator's machine.
/// </summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var hash = new Command("hash", "Read a key from standard input and print its SHA-256, for key_sha256 in the configuration.");
        hash.SetAction(async parse =>
        {
            var key = (await Console.In.ReadLineAsync().ConfigureAwait(false))?.Trim();
            if (string.IsNullOrEmpty(key))
            {
                await Console.Error.WriteLineAsync("tandem keys hash: no key on standard input").ConfigureAwait(false);
                return 2;
            }

            await Console.Out.WriteLineAsync(KeyRing.HashHex(key)).ConfigureAwait(false);
            return 0;
        });
        return new Command("keys", "Manage gateway API keys.") { hash, CreateKey(), List(), Show(), Rotate(), Revoke() };
    }

    private static Command CreateKey()
    {
        var api = new AdminApi();
        var name = new Option<string>("--name") { Description = "Name in records, metrics and limits", Required = true };
        var owner = new Option<string?>("--owner") { Description = "Who the key belongs to" };
        var team = new Option<string?>("--team") { Description = "Team the key's usage counts under" };
        var role = new Option<string?>("--role") { Description = "viewer, operator or admin: makes an admin key (admin API only)" };
        var routes = new Option<string[]>("--route") { Description = "A route or deployment the key may use (repeat; default all)", AllowMultipleArgumentsPerToken = false };
        var expires = new Option<string?>("--expires-in") { Description = "Lifetime such as 30d or 12h (default: no expiry)" };
        var metadata = new Option<string[]>("--metadata") { Description = "A label as key=value (repeat)" };
        var command = new Command("create", "Create a virtual key; the key is printed once and never again.") { name, owner, team, role, routes, expires, metadata };
        api.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var labels = parse.GetValue(metadata) ?? [];
            if (labels.FirstOrDefault(l => l.IndexOf('=', StringComparison.Ordinal) <= 0) is { } bad)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"tandem keys create: --metadata '{bad}' is not key=value").ConfigureAwait(false);
                return 2;
            }

            var body = AdminApi.Json(w =>
            {
                w.WriteString("name", parse.GetValue(name));
                WriteIfSet(w, "owner", parse.GetValue(owner));
                WriteIfSet(w, "team", parse.GetValue(team));
                WriteIfSet(w, "role", parse.GetValue(role));
                WriteIfSet(w, "expires_in", parse.GetValue(expires));
                if (parse.GetValue(routes) is { Length: > 0 } r)
                {
                    w.WriteStartArray("routes");
                    foreach (var route in r)
                    {
                        w.WriteStringValue(route);
                    }

                    w.WriteEndArray();
                }

                if (labels.Length > 0)
                {
                    w.WriteStartObject("metadata");
                    foreach (var l in labels)
                    {
                        var eq = l.IndexOf('=', StringComparison.Ordinal);
                        w.WriteString(l[..eq], l[(eq + 1)..]);
                    }

                    w.WriteEndObject();
                }
            });
            return await api.SendAsync(parse, "keys create", HttpMethod.Post, "admin/keys", body, (console, key) =>
            {
                RenderKeys(console, [key]);
                console.WriteLine("key (shown once, store it now): " + AdminApi.Text(key, "key"));
            }, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static Command List()
    {
        var api = new AdminApi();
        var all = new Option<bool>("--all") { Description = "Include revoked keys" };
        var command = new Command("list", "List virtual keys (never their secrets).") { all };
        api.AddTo(command);
        command.SetAction((parse, ct) => api.SendAsync(parse, "keys list", HttpMethod.Get, parse.GetValue(all) ? "admin/keys?include_revoked=true" : "admin/keys", null,
            (console, doc) => RenderKeys(console, [.. doc.GetProperty("keys").EnumerateArray()]), ct));
        return command;
    }

    private static Command Show()
    {
        var api = new AdminApi();
        var id = new Argument<string>("id") { Description = "Key id (vk_…)" };
        var command = new Command("show", "Show one virtual key.") { id };
        api.AddTo(command);
        command.SetAction((parse, ct) => api.SendAsync(parse, "keys show", HttpMethod.Get, "admin/keys/" + Uri.EscapeDataString(parse.GetValue(id)!), null,
            (console, key) => RenderKeys(console, [key]), ct));
        return command;
    }

    private static Command Rotate()
    {
        var api = new AdminApi();
        var id = new Argument<string>("id") { Description = "Key id (vk_…)" };
        var grace = new Option<string?>("--grace") { Description = "How long the old key keeps working, such as 10m (default: it stops now)" };
        var command = new Command("rotate", "Replace a key by a new one with the same settings; the new key is printed once.") { id, grace };
        api.AddTo(command);
        command.SetAction((parse, ct) => api.SendAsync(parse, "keys rotate", HttpMethod.Post, "admin/keys/" + Uri.EscapeDataString(parse.GetValue(id)!) + "/rotate",
            parse.GetValue(grace) is { } g ? AdminApi.Json(w => w.WriteString("grace", g)) : null,
            (console, doc) =>
            {
                RenderKeys(console, [doc.GetProperty("key"), doc.GetProperty("replaced")]);
                console.WriteLine("new key (shown once, store it now): " + AdminApi.Text(doc.GetProperty("key"), "key"));
            }, ct));
        return command;
    }

    private static Command Revoke()
    {
        var api = new AdminApi();
        var id = new Argument<string>("id") { Description = "Key id (vk_…)" };
        var command = new Command("revoke", "Revoke a key: refused at once here, and by every instance within server.sync_interval.") { id };
        api.AddTo(command);
        command.SetAction((parse, ct) => api.SendAsync(parse, "keys revoke", HttpMethod.Post, "admin/keys/" + Uri.EscapeDataString(parse.GetValue(id)!) + "/revoke", null,
            (console, key) => RenderKeys(console, [key]), ct));
        return command;
    }

    private static void WriteIfSet(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static void RenderKeys(IAnsiConsole console, IReadOnlyList<JsonElement> keys)
    {
        var table = new Table().AddColumns("id", "name", "prefix", "owner", "team", "role", "routes", "created", "expires", "revoked");
        foreach (var k in keys)
        {
            table.AddRow(
                Markup.Escape(AdminApi.Text(k, "id")), Markup.Escape(AdminApi.Text(k, "name")), Markup.Escape(AdminApi.Text(k, "prefix")),
                Markup.Escape(AdminApi.Text(k, "owner")), Markup.Escape(AdminApi.Text(k, "team")), Markup.Escape(AdminApi.Text(k, "role")),
                Markup.Escape(string.Join(",", k.GetProperty("routes").EnumerateArray().Select(r => r.GetString()))),
                AdminApi.Text(k, "created_at"), AdminApi.Text(k, "expires_at"), AdminApi.Text(k, "revoked_at"));
        }

        console.Write(table);
    }
}
