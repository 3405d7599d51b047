/*
 * demo_data.c - the raw material of the demo's generator: the real rows of
 * the ToteSys OLTP database (tests/data/totesys) for the small tables, and
 * word lists taken from those rows (names, streets, cities, countries,
 * design folders) from which the generator makes more of the same kind.
 * Nothing here is random; demo_source.c and demo_sim.c pick from it with
 * their seeded generator.
 */
#include "demo/demo_int.h"

const struct demo_address demo_addresses[30] = {
	{ "6826 Herzog Via", NULL, "Avon",
	  "New Patienceburgh", "28441", "Turkey", "1803 637401" },
	{ "179 Alexie Cliffs", NULL, NULL,
	  "Aliso Viejo", "99305-7380", "San Marino", "9621 880720" },
	{ "148 Sincere Fort", NULL, NULL,
	  "Lake Charles", "89360", "Samoa", "0730 783349" },
	{ "6102 Rogahn Skyway", NULL, "Bedfordshire",
	  "Olsonside", "47518", "Republic of Korea", "1239 706295" },
	{ "34177 Upton Track", NULL, NULL,
	  "Fort Shadburgh", "55993-8850", "Bosnia and Herzegovina", "0081 009772" },
	{ "846 Kailey Island", NULL, NULL,
	  "Kendraburgh", "08841", "Zimbabwe", "0447 798320" },
	{ "75653 Ernestine Ways", NULL, "Buckinghamshire",
	  "North Deshaun", "02813", "Faroe Islands", "1373 796260" },
	{ "0579 Durgan Common", NULL, NULL,
	  "Suffolk", "56693-0660", "United Kingdom", "8935 157571" },
	{ "644 Edward Garden", NULL, "Borders",
	  "New Tyra", "30825-5672", "Australia", "0768 748652" },
	{ "49967 Kaylah Flat", "Tremaine Circles", "Bedfordshire",
	  "Beaulahcester", "89470", "Democratic People's Republic of Korea", "4949 998070" },
	{ "249 Bernier Mission", NULL, "Buckinghamshire",
	  "Corpus Christi", "85111-9300", "Japan", "0222 525870" },
	{ "6461 Ernesto Expressway", NULL, "Berkshire",
	  "Pricetown", "37167-0340", "Tajikistan", "4757 757948" },
	{ "80828 Arch Dale", "Torphy Turnpike", NULL,
	  "Shanahanview", "60728-5019", "Bouvet Island (Bouvetoya)", "8806 209655" },
	{ "84824 Bryce Common", "Grady Turnpike", NULL,
	  "Maggiofurt", "50899-1522", "Iraq", "3316 955887" },
	{ "605 Haskell Trafficway", "Axel Freeway", NULL,
	  "East Bobbie", "88253-4257", "Heard Island and McDonald Islands", "9687 937447" },
	{ "511 Orin Extension", "Cielo Radial", "Buckinghamshire",
	  "South Wyatt", "04524-5341", "Iceland", "2372 180716" },
	{ "962 Koch Drives", NULL, NULL,
	  "Hackensack", "95316-4738", "Indonesia", "5507 549583" },
	{ "58805 Sibyl Cliff", "Leuschke Glens", "Bedfordshire",
	  "Lake Arne", "63808", "Kiribati", "0168 407254" },
	{ "0283 Cole Corner", "Izabella Ways", "Buckinghamshire",
	  "West Briellecester", "01138", "Sierra Leone", "1753 158314" },
	{ "22073 Klein Landing", NULL, NULL,
	  "Pueblo", "91445", "Republic of Korea", "4003 678621" },
	{ "389 Georgette Ridge", NULL, "Cambridgeshire",
	  "Fresno", "91510-3655", "Bolivia", "8697 474676" },
	{ "364 Goodwin Streets", NULL, NULL,
	  "Sayreville", "85544-4254", "Svalbard & Jan Mayen Islands", "0847 468066" },
	{ "822 Providenci Spring", NULL, "Berkshire",
	  "Derekport", "25541", "Papua New Guinea", "4111 801405" },
	{ "8434 Daren Freeway", NULL, NULL,
	  "New Torrance", "17110", "Antigua and Barbuda", "5582 055380" },
	{ "253 Ullrich Inlet", "Macey Wall", "Borders",
	  "East Arvel", "35397-9952", "Sudan", "0021 366201" },
	{ "522 Pacocha Branch", NULL, "Bedfordshire",
	  "Napa", "77211-4519", "American Samoa", "5794 359212" },
	{ "7212 Breitenberg View", "Nora Bridge", "Buckinghamshire",
	  "Oakland Park", "77499", "Guam", "2949 665163" },
	{ "079 Horacio Landing", NULL, NULL,
	  "Utica", "93045", "Austria", "7772 084705" },
	{ "37736 Heathcote Lock", "Noemy Pines", NULL,
	  "Bartellview", "42400-5199", "Congo", "1684 702261" },
	{ "0336 Ruthe Heights", NULL, "Buckinghamshire",
	  "Lake Myrlfurt", "94545-4284", "Falkland Islands (Malvinas)", "1083 286132" },
};

const struct demo_staff demo_staff[20] = {
	{ "Jeremie", "Franey", 2 },
	{ "Deron", "Beier", 6 },
	{ "Jeanette", "Erdman", 6 },
	{ "Ana", "Glover", 3 },
	{ "Magdalena", "Zieme", 8 },
	{ "Korey", "Kreiger", 3 },
	{ "Raphael", "Rippin", 2 },
	{ "Oswaldo", "Bergstrom", 7 },
	{ "Brody", "Ratke", 2 },
	{ "Jazmyn", "Kuhn", 2 },
	{ "Meda", "Cremin", 5 },
	{ "Imani", "Walker", 5 },
	{ "Stan", "Lehner", 4 },
	{ "Rigoberto", "VonRueden", 7 },
	{ "Tom", "Gutkowski", 3 },
	{ "Jett", "Parisian", 6 },
	{ "Irving", "O'Keefe", 3 },
	{ "Tomasa", "Moore", 8 },
	{ "Pierre", "Sauer", 2 },
	{ "Flavio", "Kulas", 3 },
};

const struct demo_counterparty demo_counterparties[20] = {
	{ "Fahey and Sons", 15,
	  "Micheal Toy", "Mrs. Lucy Runolfsdottir" },
	{ "Leannon, Predovic and Morar", 28,
	  "Melba Sanford", "Jean Hane III" },
	{ "Armstrong Inc", 2,
	  "Jane Wiza", "Myra Kovacek" },
	{ "Kohler Inc", 29,
	  "Taylor Haag", "Alfredo Cassin II" },
	{ "Frami, Yundt and Macejkovic", 22,
	  "Homer Mitchell", "Ivan Balistreri" },
	{ "Mraz LLC", 23,
	  "Florence Casper", "Eva Upton" },
	{ "Padberg, Lueilwitz and Johnson", 16,
	  "Ms. Wilma Witting", "Christy O'Hara" },
	{ "Grant - Lakin", 16,
	  "Emily Orn", "Veronica Fay" },
	{ "Price LLC", 5,
	  "Sheryl Langworth", "Simon Schoen" },
	{ "Bosco - Grant", 10,
	  "Ed Halvorson", "Dewey Kuhic" },
	{ "Corkery - Nienow", 17,
	  "Glen Emmerich", "Laurie Hermiston" },
	{ "Keeling - Emmerich", 7,
	  "Marcus Rogahn", "Rosa Powlowski" },
	{ "Hand, Krajcik and Kuhlman", 5,
	  "Sherry Rice", "Elizabeth Senger" },
	{ "Hintz, Hayes and Will", 30,
	  "Ms. Susan Haley", "Andrea Kassulke PhD" },
	{ "Emmerich, Rohan and Reynolds", 17,
	  "Roderick Waters", "Jake Welch DVM" },
	{ "Hartmann, Franecki and Ratke", 14,
	  "Alberta Franecki DDS", "Tracy Quigley" },
	{ "Kihn Group", 17,
	  "Dr. Doris Heidenreich", "Gregg Beahan" },
	{ "Smith and Sons", 17,
	  "Laura Graham", "Olivia Franey" },
	{ "Ondricka, Conroy and Turcotte", 18,
	  "Pearl Kreiger", "Warren Weimann" },
	{ "Yost, Watsica and Mann", 2,
	  "Sophie Konopelski", "Janie Doyle" },
};

const struct demo_department demo_departments[8] = {
	{ "Sales", "Manchester", "Richard Roma" },
	{ "Purchasing", "Manchester", "Naomi Lapaglia" },
	{ "Production", "Leeds", "Chester Ming" },
	{ "Dispatch", "Leds", "Mark Hanna" },
	{ "Finance", "Manchester", "Jordan Belfort" },
	{ "Facilities", "Manchester", "Shelley Levene" },
	{ "Communications", "Leeds", "Ann Blake" },
	{ "HR", "Leeds", "James Link" },
};
const char *const demo_currencies[3] = { "GBP", "USD", "EUR" };

const char *const demo_payment_types[4] = {
	"SALES_RECEIPT", "SALES_REFUND", "PURCHASE_PAYMENT", "PURCHASE_REFUND",
};

const char *const demo_materials[12] = {
	"Bronze", "Concrete", "Cotton", "Fresh", "Frozen", "Granite", "Metal",
	"Plastic", "Rubber", "Soft", "Steel", "Wooden",
};

const char *const demo_file_locations[60] = {
	"/Applications", "/Library", "/Network", "/System", "/Users", "/bin", "/boot",
	"/boot/defaults", "/dev", "/etc", "/etc/defaults", "/etc/mail", "/etc/namedb",
	"/etc/periodic", "/etc/ppp", "/home", "/home/user", "/home/user/dir", "/lib",
	"/lost+found", "/media", "/mnt", "/net", "/opt", "/opt/bin", "/opt/include",
	"/opt/lib", "/opt/sbin", "/opt/share", "/private", "/private/tmp",
	"/private/var", "/proc", "/rescue", "/root", "/sbin", "/selinux", "/srv",
	"/sys", "/tmp", "/usr", "/usr/X11R6", "/usr/bin", "/usr/include", "/usr/lib",
	"/usr/libdata", "/usr/libexec", "/usr/local/bin", "/usr/local/src",
	"/usr/obj", "/usr/ports", "/usr/sbin", "/usr/share", "/usr/src", "/var",
	"/var/log", "/var/mail", "/var/spool", "/var/tmp", "/var/yp",
};

const char *const demo_first_names[60] = {
	"Alberta", "Alfredo", "Ana", "Andrea", "Brody", "Christy", "Deron", "Dewey",
	"Doris", "Ed", "Elizabeth", "Emily", "Eva", "Flavio", "Florence", "Glen",
	"Gregg", "Homer", "Imani", "Irving", "Ivan", "Jake", "Jane", "Janie",
	"Jazmyn", "Jean", "Jeanette", "Jeremie", "Jett", "Korey", "Laura", "Laurie",
	"Lucy", "Magdalena", "Marcus", "Meda", "Melba", "Micheal", "Myra", "Olivia",
	"Oswaldo", "Pearl", "Pierre", "Raphael", "Rigoberto", "Roderick", "Rosa",
	"Sherry", "Sheryl", "Simon", "Sophie", "Stan", "Susan", "Taylor", "Tom",
	"Tomasa", "Tracy", "Veronica", "Warren", "Wilma",
};

const char *const demo_last_names[95] = {
	"Armstrong", "Balistreri", "Beahan", "Beier", "Bergstrom", "Bosco", "Casper",
	"Cassin", "Conroy", "Corkery", "Cremin", "Doyle", "Emmerich", "Erdman",
	"Fahey", "Fay", "Frami", "Franecki", "Franey", "Glover", "Graham", "Grant",
	"Gutkowski", "Haag", "Haley", "Halvorson", "Hand", "Hane", "Hartmann",
	"Hayes", "Heidenreich", "Hermiston", "Hintz", "Johnson", "Kassulke",
	"Keeling", "Kihn", "Kohler", "Konopelski", "Kovacek", "Krajcik", "Kreiger",
	"Kuhic", "Kuhlman", "Kuhn", "Kulas", "Lakin", "Langworth", "Leannon",
	"Lehner", "Lueilwitz", "Macejkovic", "Mann", "Mitchell", "Moore", "Morar",
	"Mraz", "Nienow", "O'Hara", "O'Keefe", "Ondricka", "Orn", "Padberg",
	"Parisian", "Powlowski", "Predovic", "Price", "Quigley", "Ratke", "Reynolds",
	"Rice", "Rippin", "Rogahn", "Rohan", "Runolfsdottir", "Sanford", "Sauer",
	"Schoen", "Senger", "Smith", "Toy", "Turcotte", "Upton", "VonRueden",
	"Walker", "Waters", "Watsica", "Weimann", "Welch", "Will", "Witting", "Wiza",
	"Yost", "Yundt", "Zieme",
};

const char *const demo_street_suffixes[35] = {
	"Branch", "Bridge", "Circles", "Cliff", "Cliffs", "Common", "Corner", "Dale",
	"Drives", "Expressway", "Extension", "Flat", "Fort", "Freeway", "Garden",
	"Glens", "Heights", "Inlet", "Island", "Landing", "Lock", "Mission", "Pines",
	"Radial", "Ridge", "Skyway", "Spring", "Streets", "Track", "Trafficway",
	"Turnpike", "Via", "View", "Wall", "Ways",
};

const char *const demo_districts[6] = {
	"Avon", "Bedfordshire", "Berkshire", "Borders", "Buckinghamshire",
	"Cambridgeshire",
};

const char *const demo_cities[30] = {
	"New Patienceburgh", "Aliso Viejo", "Lake Charles", "Olsonside",
	"Fort Shadburgh", "Kendraburgh", "North Deshaun", "Suffolk", "New Tyra",
	"Beaulahcester", "Corpus Christi", "Pricetown", "Shanahanview", "Maggiofurt",
	"East Bobbie", "South Wyatt", "Hackensack", "Lake Arne", "West Briellecester",
	"Pueblo", "Fresno", "Sayreville", "Derekport", "New Torrance", "East Arvel",
	"Napa", "Oakland Park", "Utica", "Bartellview", "Lake Myrlfurt",
};

const char *const demo_countries[30] = {
	"Turkey", "San Marino", "Samoa", "Republic of Korea",
	"Bosnia and Herzegovina", "Zimbabwe", "Faroe Islands", "United Kingdom",
	"Australia", "Democratic People's Republic of Korea", "Japan", "Tajikistan",
	"Bouvet Island (Bouvetoya)", "Iraq", "Heard Island and McDonald Islands",
	"Iceland", "Indonesia", "Kiribati", "Sierra Leone", "Republic of Korea",
	"Bolivia", "Svalbard & Jan Mayen Islands", "Papua New Guinea",
	"Antigua and Barbuda", "Sudan", "American Samoa", "Guam", "Austria", "Congo",
	"Falkland Islands (Malvinas)",
};

