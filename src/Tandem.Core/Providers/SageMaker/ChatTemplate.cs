using System.Text;
using Tandem.Configuration;
using Tandem.Providers.Translation;

namespace Tandem.Providers.SageMaker;

/// <summary>
/// Renders chat messages into one prompt for containers that take raw <c>inputs</c> (TGI, LMI), in the format the
/// model was trained on, ending with the opening of the assistant's turn so that the model writes the answer.
/// </summary>
internal static class ChatTemplate
{
    /// <summary>The prompt of <paramref name="messages"/> in <paramref name="template"/> (<see cref="ChatTemplates"/>).</summary>
    public static string Render(string template, ReadOnlySpan<ChatMessage> messages) => template switch
    {
        ChatTemplates.Llama3 => Llama3(messages),
        ChatTemplates.ChatMl => ChatMl(messages),
        ChatTemplates.Mistral => Mistral(messages),
        _ => throw new ArgumentOutOfRangeException(nameof(template), template, "unknown chat template"),
    };

    // <|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n…<|eot_id|>…<|start_header_id|>assistant<|end_header_id|>\n\n
    private static string Llama3(ReadOnlySpan<ChatMessage> messages)
    {
        var sb = new StringBuilder("<|begin_of_text|>");
        foreach (var m in messages)
        {
            sb.Append("<|start_header_id|>").Append(RoleName(m.Role)).Append("<|end_header_id|>\n\n").Append(m.Text().Trim()).Append("<|eot_id|>");
        }

        return sb.Append("<|start_header_id|>assistant<|end_header_id|>\n\n").ToString();
    }

    // <|im_start|>system\n…<|im_end|>\n…<|im_start|>assistant\n
    private static string ChatMl(ReadOnlySpan<ChatMessage> messages)
    {
        var sb = new StringBuilder();
        foreach (var m in messages)
        {
            sb.Append("<|im_start|>").Append(RoleName(m.Role)).Append('\n').Append(m.Text()).Append("<|im_end|>\n");
        }

        return sb.Append("<|im_start|>assistant\n").ToString();
    }

    // <s>[INST] system\n\nuser [/INST] answer</s>[INST] user [/INST]  (system text goes before the first user turn)
    private static string Mistral(ReadOnlySpan<ChatMessage> messages)
    {
        var sb = new StringBuilder("<s>");
        var system = new StringBuilder();
        var systems = 0;
        foreach (var m in messages)
        {
            if (m.Role == ChatRole.System)
            {
                (systems++ > 0 ? system.Append("\n\n") : system).Append(m.Text());
            }
        }

        var first = true;
        foreach (var m in messages)
        {
            switch (m.Role)
            {
                case ChatRole.User:
                    sb.Append("[INST] ");
                    if (first && system.Length > 0)
                    {
                        sb.Append(system).Append("\n\n");
                    }

                    sb.Append(m.Text()).Append(" [/INST]");
                    first = false;
                    break;
                case ChatRole.Assistant:
                    sb.Append(' ').Append(m.Text()).Append("</s>");
                    break;
            }
        }

        return sb.ToString();
    }

    /// <summary>The role as templates write it (a developer message is a system message).</summary>
    private static string RoleName(ChatRole role) => role switch
    {
        ChatRole.System => "system",
        ChatRole.Assistant => "assistant",
        ChatRole.Tool => "tool",
        _ => "user",
    };
}
