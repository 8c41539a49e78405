package cli

func serveCmd(args []string, io IO) exitCode {
	return exitCode{ExitUsage, usagef("serve is not implemented yet")}
}
