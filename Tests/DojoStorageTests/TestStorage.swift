import DojoStorage
import DojoTesting
import Foundation
import Logging

func event(_ n: Int) -> NewEvent {
    NewEvent(type: "TestEvent", payload: #"{"n":\#(n),"text":"ünïcødé ✓ '; DROP TABLE events;--"}"#)
}
