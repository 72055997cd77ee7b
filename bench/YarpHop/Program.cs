// A bare YARP hop, the "physical limit" reference of bench/run.sh.
//   /u20/{**rest} -> --upstream20 (prefix removed)
//   /us/{**rest}  -> --upstreamStream (prefix removed)
//   /{**rest}     -> --upstream
// Usage: YarpHop --urls http://127.0.0.1:19400 --upstream http://127.0.0.1:19100 --upstream20 http://127.0.0.1:19120 --upstreamStream http://127.0.0.1:19140
using Yarp.ReverseProxy.Configuration;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);

var upstream = builder.Configuration["upstream"] ?? "http://127.0.0.1:19100";
var upstream20 = builder.Configuration["upstream20"] ?? upstream;
var upstreamStream = builder.Configuration["upstreamStream"] ?? upstream;

RouteConfig[] routes =
[
    new()
    {
        RouteId = "u20",
        ClusterId = "u20",
        Match = new RouteMatch { Path = "/u20/{**rest}" },
        Transforms = [new Dictionary<string, string> { ["PathRemovePrefix"] = "/u20" }],
    },
    new()
    {
        RouteId = "us",
        ClusterId = "us",
        Match = new RouteMatch { Path = "/us/{**rest}" },
        Transforms = [new Dictionary<string, string> { ["PathRemovePrefix"] = "/us" }],
    },
    new() { RouteId = "u0", ClusterId = "u0", Match = new RouteMatch { Path = "/{**rest}" } },
];
ClusterConfig[] clusters =
[
    new() { ClusterId = "u0", Destinations = new Dictionary<string, DestinationConfig> { ["d"] = new() { Address = upstream } } },
    new() { ClusterId = "u20", Destinations = new Dictionary<string, DestinationConfig> { ["d"] = new() { Address = upstream20 } } },
    new() { ClusterId = "us", Destinations = new Dictionary<string, DestinationConfig> { ["d"] = new() { Address = upstreamStream } } },
];

builder.Services.AddReverseProxy().LoadFromMemory(routes, clusters);
var app = builder.Build();
app.MapReverseProxy();
app.Run();
