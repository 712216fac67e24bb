using System.CommandLine;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary>Runs the parsed command; a failure becomes one clear red line and exit code 1, never a stack trace.</summary>
public static class CommandLineErrors
{
    public static int Run(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) Console.Error.WriteLine($"error: {error.Message}");
            return 2;
        }
        try
        {
            // Exceptions come here, not to System.CommandLine's handler, which would print a stack trace.
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Plain stderr, one line: a console renderer would wrap a long path across lines.
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
