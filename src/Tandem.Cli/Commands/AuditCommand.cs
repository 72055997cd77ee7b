using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace Tandem.Cli.Commands;

/// <summary><c>tandem audit list</c>: the audit log of a running gateway (admin actions and key lifecycle), newest first.</summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var api = new AdminApi();
        var since = new Option<string?>("--since") { Description = "A window such as 24h or 7d, or a date and time" };
        var until = new Option<string?>("--until") { Description = "A window such as 1h (entries older than that), or a date and time" };
        var actor = new Option<string?>("--actor") { Description = "Only entries by this key name (admin for the configuration's admin key)" };
        var obj = new Option<string?>("--object") { Description = "Only entries on this object, such as key:vk_0123456789abcdef or route:chat" };
        var limit = new Option<int>("--limit") { Description = "At most this many entries (1 to 1000)", DefaultValueFactory = _ => 100 };
        var before = new Option<long?>("--before") { Description = "The page before this entry id (printed under the list)" };
        var list = new Command("list", "List audit entries: who did what to which object, with the status answered.") { since, until, actor, obj, limit, before };
        api.AddTo(list);
        list.SetAction((parse, ct) =>
        {
            var query = new List<string> { "limit=" + parse.GetValue(limit).ToString(CultureInfo.InvariantCulture) };
            void Add(string name, string? value)
            {
                if (!string.IsNullOrEmpty(value))
                {
                    query.Add(name + "=" + Uri.EscapeDataString(value));
                }
            }

            Add("since", parse.GetValue(since));
            Add("until", parse.GetValue(until));
            Add("actor", parse.GetValue(actor));
            Add("object", parse.GetValue(obj));
            Add("before", parse.GetValue(before)?.ToString(CultureInfo.InvariantCulture));
            return api.SendAsync(parse, "audit list", HttpMethod.Get, "admin/audit?" + string.Join('&', query), null, (console, doc) =>
            {
                var table = new Table().AddColumns("id", "time", "actor", "action", "object", "status");
                foreach (var e in doc.GetProperty("entries").EnumerateArray())
                {
                    table.AddRow(e.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture), AdminApi.Text(e, "time"), Markup.Escape(AdminApi.Text(e, "actor")),
                        Markup.Escape(AdminApi.Text(e, "action")), Markup.Escape(AdminApi.Text(e, "object")), e.GetProperty("status").GetInt32().ToString(CultureInfo.InvariantCulture));
                }

                console.Write(table);
                if (doc.GetProperty("next_before").ValueKind == System.Text.Json.JsonValueKind.Number)
                {
                    console.WriteLine("older entries: tandem audit list --before " + doc.GetProperty("next_before").GetInt64().ToString(CultureInfo.InvariantCulture));
                }
            }, ct);
        });
        return new Command("audit", "The audit log of admin actions and key lifecycle (append-only).") { list };
    }
}
