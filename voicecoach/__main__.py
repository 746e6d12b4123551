from voicecoach.entry import main

main()
