from voicecoach.cli.entry import main

main()
