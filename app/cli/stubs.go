package cli

func checkCmd(args []string, io IO) exitCode {
	return exitCode{ExitUsage, usagef("check is not implemented yet")}
}
