//! Members' pages and spaces: profiles, structures and the people who publish for them.

mod structures;
